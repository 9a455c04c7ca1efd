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

    /// The events appended since the cursor, dispatched; returns how many were read.
    func dispatchNew(batch: Int = 1000) async throws -> Int {
        let cursor = Int64(try store.schedulerState(Self.cursorKey) ?? "") ?? 0
        let events = try store.events(after: cursor, limit: batch)
        guard let last = events.last?.id else { return 0 }
        var runs: [HookRun] = []
        for event in events {
            for hook in registry.matching(kind: event.kind, cluster: event.cluster) {
                runs.append(HookRun(hook: hook.key, cluster: event.cluster, eventID: event.id, trigger: "event"))
            }
        }
        let inserted = try store.schedule(runs, state: [Self.cursorKey: String(last)])
        if !inserted.isEmpty { await executor.submit(inserted) }
        return events.count
    }

    /// Polls the log every `interval` seconds (agents and the CLI write it from other processes).
    func run(interval: Double = 0.002) async {
        while !Task.isCancelled {
            let read = (try? await dispatchNew()) ?? 0
            if read == 0 { try? await Task.sleep(nanoseconds: UInt64(interval * 1e9)) }
        }
    }
}
