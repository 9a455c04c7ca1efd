import Cloud
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Store

/// Runs hook runs: at most `limit` at a time per cluster, one exclusive hook at a time per
/// cluster, each within its budget. A run's row goes pending → running → ok | failed; a failure
/// is recorded as an event too, and retried after its backoff when the hook asks for retries.
actor Executor {
    let store: Store
    let registry: HookRegistry
    let limit: Int
    private var queue: [HookRun] = []
    private var running: [String: Int] = [:]
    private var exclusive: Set<String> = []
    private var wakeScheduled: Date?

    init(store: Store, registry: HookRegistry, limit: Int = 10) {
        self.store = store
        self.registry = registry
        self.limit = limit
    }

    func submit(_ runs: [HookRun]) {
        queue += runs
        pump()
    }

    private func pump() {
        let now = Date()
        var index = 0
        var nextDue: Date?
        while index < queue.count {
            let run = queue[index]
            let cluster = run.cluster ?? ""
            guard let hook = registry.hook(run.hook) else {
                queue.remove(at: index)
                try? store.finishRun(run.id!, state: .skipped, duration: 0, error: "its hook is no longer registered")
                continue
            }
            if run.dueAt > now {
                nextDue = min(nextDue ?? run.dueAt, run.dueAt)
                index += 1
                continue
            }
            if running[cluster, default: 0] >= limit || (hook.options.exclusive && exclusive.contains(cluster)) {
                index += 1
                continue
            }
            queue.remove(at: index)
            running[cluster, default: 0] += 1
            if hook.options.exclusive { exclusive.insert(cluster) }
            Task { await self.execute(run, hook) }
        }
        if let nextDue, wakeScheduled.map({ nextDue < $0 }) ?? true {
            wakeScheduled = nextDue
            Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, nextDue.timeIntervalSinceNow) * 1e9))
                self.woke()
            }
        }
    }

    private func woke() {
        wakeScheduled = nil
        pump()
    }

    private func execute(_ run: HookRun, _ hook: ResolvedHook) async {
        let start = Date()
        try? store.startRun(run.id!, at: start)
        var failure: String?
        do {
            let event = try await EventTable(store: store).table(for: run)
            _ = try await hook.callbacks.call(hook.function, [event], timeLimit: hook.options.budget)
        } catch let error as LuaError {
            failure = error.message
        } catch {
            failure = "\(error)"
        }
        let duration = Date().timeIntervalSince(start)
        try? store.finishRun(run.id!, state: failure == nil ? .ok : .failed, duration: duration, error: failure)
        if let failure {
            _ = try? store.record(Event(actor: "scheduler", cluster: run.cluster, kind: "hook.failed", subject: run.hook,
                                        detail: "run \(run.id!) (\(run.trigger), attempt \(run.attempt))", result: "failed: \(failure)"))
            if run.attempt <= hook.options.retryTimes { retry(run, hook) }
        }
        finished(run, hook)
    }

    /// Another attempt after the hook's backoff, doubled each time.
    func retry(_ run: HookRun, _ hook: ResolvedHook) {
        let delay = hook.options.retryBackoff * pow(2, Double(run.attempt - 1))
        var again = HookRun(hook: run.hook, cluster: run.cluster, eventID: run.eventID, trigger: run.trigger,
                            attempt: run.attempt + 1, dueAt: Date().addingTimeInterval(delay))
        again.error = run.error
        if let inserted = try? store.schedule([again], state: [:]) { queue += inserted }
    }

    private func finished(_ run: HookRun, _ hook: ResolvedHook) {
        let cluster = run.cluster ?? ""
        running[cluster, default: 1] -= 1
        if hook.options.exclusive { exclusive.remove(cluster) }
        pump()
    }
}
