import Cloud
import Foundation
import Store

/// One poll of the events table for every live stream: while any client listens, new events are
/// read every 10 ms, once, and handed to each subscriber whose cluster they concern. A quiet
/// stream gets `nil` every few seconds, so its handler writes a keep-alive and finds a client gone.
final class EventFeed: Sendable {
    typealias Item = Event?

    private struct Subscriber {
        var cluster: String?
        var continuation: AsyncStream<Item>.Continuation
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var polling = false
    }

    static let pollInterval: UInt64 = 10_000_000
    static let keepAliveEvery = 500  // polls: 5 s

    let store: Store
    private let state = Locked(State())

    init(store: Store) { self.store = store }

    /// Events of `cluster` (every cluster when nil) recorded from now on, and `nil` now and then.
    func subscribe(cluster: String?) -> (id: Int, events: AsyncStream<Item>) {
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let (id, start) = state.withLock { s -> (Int, Bool) in
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(cluster: cluster, continuation: continuation)
            defer { s.polling = true }
            return (s.nextID, !s.polling)
        }
        if start {
            // the cursor is taken before the first subscriber returns: nothing recorded after it is missed
            let cursor = (try? store.lastEventID()) ?? 0
            Task.detached { await self.poll(from: cursor) }
        }
        return (id, stream)
    }

    func unsubscribe(_ id: Int) {
        state.withLock { s in s.subscribers.removeValue(forKey: id)?.continuation.finish() }
    }

    private func poll(from start: Int64) async {
        var cursor = start
        var quiet = 0
        while true {
            let events = (try? store.eventPage(after: cursor, limit: 1000)) ?? []
            cursor = events.last?.id ?? cursor
            quiet = events.isEmpty ? quiet + 1 : 0
            let keepAlive = quiet >= Self.keepAliveEvery
            if keepAlive { quiet = 0 }
            let listening = state.withLock { s -> Bool in
                guard !s.subscribers.isEmpty else {
                    s.polling = false
                    return false
                }
                for subscriber in s.subscribers.values {
                    for event in events where subscriber.cluster == nil || event.cluster == subscriber.cluster {
                        subscriber.continuation.yield(event)
                    }
                    if keepAlive { subscriber.continuation.yield(nil) }
                }
                return true
            }
            guard listening else { return }
            try? await Task.sleep(nanoseconds: Self.pollInterval)
        }
    }
}
