import Foundation
import Store

/// Turns events into hook runs: reads the log after its cursor, writes one pending run per
/// matching hook together with the new cursor (one transaction), then hands the runs over. So an
/// event is dispatched once, whether the scheduler dies before, during or after.
struct Dispatcher: Sendable {
    let store: Store
    let registry: HookRegistry
    let executor: Executor
    static let cursorKey = "dispatch.cursor"

    /// The events appended after `cursor`, dispatched; returns the new cursor and how many were read.
    /// The runs go to the executor with their events, so that starting them reads nothing again.
    func dispatch(after cursor: Int64, batch: Int = 1000) async throws -> (cursor: Int64, read: Int) {
        let events = try store.eventPage(after: cursor, limit: batch)
        guard let last = events.last?.id else { return (cursor, 0) }
        var runs: [HookRun] = []
        // the hooks of each kind and cluster, looked up once a batch (a burst is mostly one kind)
        var hooks: [Scope: [ResolvedHook]] = [:]
        for event in events {
            let scope = Scope(kind: event.kind, cluster: event.cluster)
            let matching = hooks[scope] ?? registry.matching(kind: event.kind, cluster: event.cluster)
            hooks[scope] = matching
            for hook in matching {
                runs.append(HookRun(hook: hook.key, cluster: event.cluster, eventID: event.id, trigger: "event"))
            }
        }
        let inserted = try store.schedule(runs, state: [Self.cursorKey: String(last)])
        if !inserted.isEmpty {
            let byID = Dictionary(events.map { ($0.id!, $0) }, uniquingKeysWith: { first, _ in first })
            await executor.submit(inserted, events: byID)
        }
        return (last, events.count)
    }

    private struct Scope: Hashable {
        let kind: String
        let cluster: String?
    }

    /// Polls the log (agents and the CLI write it from other processes): every millisecond while
    /// events come (a poll is one prepared read; waiting 2 ms was most of the latency at a few
    /// thousand events a second), backing off to 10 ms when idle. Only this loop moves the cursor,
    /// so it keeps it in memory.
    func run() async {
        var cursor = Int64((try? store.schedulerState(Self.cursorKey)) ?? nil ?? "") ?? 0
        var idle: UInt64 = 1_000_000
        while !Task.isCancelled {
            let read: Int
            do {
                (cursor, read) = try await dispatch(after: cursor)
            } catch {
                read = 0
            }
            if read > 0 {
                idle = 1_000_000
            } else {
                try? await Task.sleep(nanoseconds: idle)
                idle = min(idle * 2, 10_000_000)
            }
        }
    }
}
