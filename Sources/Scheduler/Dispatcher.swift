import Foundation
import Store

/// Turns events into hook runs: reads the log after its cursor and hands one run per matching
/// hook to the executor, whose next write has them with the new cursor (one transaction, those
/// given a slot already running). So an event is dispatched once, whether the scheduler dies
/// before, during or after, and costs one commit from dispatch to start.
struct Dispatcher: Sendable {
    let store: Store
    let registry: HookRegistry
    let executor: Executor
    /// Events deeper than this (a chain of hooks feeding each other) get no runs: a `hook.loop`.
    let maxDepth: Int
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
            if event.depth > maxDepth, let hook = matching.first, let cause = event.causeRun {
                // recorded by a hook's primitive (not emit, which refuses it itself): cut here
                _ = try? store.recordLoop(refused: event.kind + " #\(event.id!)", cluster: event.cluster,
                                          cause: EventCause(run: cause, hook: hook.key, event: event.causeEvent, depth: event.depth - 1),
                                          limit: maxDepth)
                continue
            }
            for hook in matching {
                runs.append(HookRun(hook: hook.key, cluster: event.cluster, eventID: event.id, trigger: "event"))
            }
        }
        // the runs and the cursor are written by the executor's next turn, with what starts
        let byID = runs.isEmpty ? [:] : Dictionary(events.map { ($0.id!, $0) }, uniquingKeysWith: { first, _ in first })
        guard await executor.dispatch(runs, events: byID, state: [Self.cursorKey: String(last)]) else { return (cursor, 0) }
        return (last, events.count)
    }

    private struct Scope: Hashable {
        let kind: String
        let cluster: String?
    }

    /// Polls the log (agents and the CLI write it from other processes): every millisecond while
    /// events come (a poll is one prepared read; waiting 2 ms was most of the latency at a few
    /// thousand events a second), at once while a backlog lasts, backing off to 10 ms when idle.
    /// Only this loop moves the cursor, so it keeps it in memory.
    ///
    /// While runs wait for slots (more than four turns of them), new ones would only queue behind
    /// them, so the poll waits 5 ms: each dispatch is a write the executor makes in its turn, and
    /// on PostgreSQL (a round trip each) a write every millisecond took the turns the waiting runs
    /// needed to start, and a queue that had formed at 2,000 events/s never drained.
    func run() async {
        var cursor = Int64((try? store.schedulerState(Self.cursorKey)) ?? nil ?? "") ?? 0
        let busy: UInt64 = 1_000_000, queued: UInt64 = 5_000_000
        var idle = busy
        while !Task.isCancelled {
            let read: Int
            do {
                (cursor, read) = try await dispatch(after: cursor)
            } catch {
                read = 0
            }
            if read >= 1000 {
                continue  // a backlog: the next page at once
            } else if read > 0 {
                try? await Task.sleep(nanoseconds: await executor.backlogged ? queued : busy)
                idle = busy
            } else {
                try? await Task.sleep(nanoseconds: idle)
                idle = min(idle * 2, 10_000_000)
            }
        }
    }
}
