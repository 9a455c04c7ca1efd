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
    let engine: Engine
    let registry: HookRegistry
    let limit: Int
    /// Runs waiting for a slot, first in first out, per cluster ("" for none).
    private var queues: [String: RunQueue] = [:]
    /// Runs not due yet (retries waiting out their backoff).
    private var delayed: [HookRun] = []
    private var running: [String: Int] = [:]
    private var exclusive: Set<String> = []
    private var wakeScheduled: Date?
    /// Outcomes not yet written: flushed together a few milliseconds later (one transaction).
    private var outcomes: [Store.RunOutcome] = []
    private var flushScheduled = false

    var store: Store { engine.store }

    init(engine: Engine, registry: HookRegistry, limit: Int = 10) {
        self.engine = engine
        self.registry = registry
        self.limit = limit
    }

    func submit(_ runs: [HookRun]) {
        let now = Date()
        for run in runs {
            if run.dueAt > now { delayed.append(run) } else { queues[run.cluster ?? "", default: RunQueue()].push(run) }
        }
        pump()
    }

    /// Starts what the limits allow: per cluster, in order, an exclusive hook waiting its turn.
    private func pump() {
        let now = Date()
        if !delayed.isEmpty {
            let due = delayed.filter { $0.dueAt <= now }
            delayed.removeAll { $0.dueAt <= now }
            for run in due { queues[run.cluster ?? "", default: RunQueue()].push(run) }
        }
        var starting: [(HookRun, ResolvedHook)] = []
        for cluster in queues.keys {
            while running[cluster, default: 0] < limit, let run = queues[cluster]!.first {
                guard let hook = registry.hook(run.hook) else {
                    _ = queues[cluster]!.pop()
                    record(Store.RunOutcome(id: run.id!, state: .skipped, duration: 0, error: "its hook is no longer registered"))
                    continue
                }
                if hook.options.exclusive && exclusive.contains(cluster) { break }
                _ = queues[cluster]!.pop()
                running[cluster, default: 0] += 1
                if hook.options.exclusive { exclusive.insert(cluster) }
                starting.append((run, hook))
            }
        }
        // marked running together, before any of them starts
        try? store.startRuns(starting.map { $0.0.id! }, at: now)
        for (run, hook) in starting { Task { await self.execute(run, hook, started: now) } }
        if let nextDue = delayed.map(\.dueAt).min(), wakeScheduled.map({ nextDue < $0 }) ?? true {
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

    private func execute(_ run: HookRun, _ hook: ResolvedHook, started start: Date) async {
        var failure: String?
        do {
            let event = try await EventTable(engine: engine).table(for: run)
            _ = try await hook.callbacks.call(hook.function, [event], timeLimit: hook.options.budget)
        } catch let error as LuaError {
            failure = error.message
        } catch {
            failure = "\(error)"
        }
        let duration = Date().timeIntervalSince(start)
        record(Store.RunOutcome(id: run.id!, state: failure == nil ? .ok : .failed, duration: duration, error: failure))
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
        if let inserted = try? store.schedule([again], state: [:]) { delayed += inserted }
        pump()
    }

    private func record(_ outcome: Store.RunOutcome) {
        outcomes.append(outcome)
        guard !flushScheduled else { return }
        flushScheduled = true
        Task {
            try? await Task.sleep(nanoseconds: 2_000_000)
            self.flush()
        }
    }

    /// Writes the outcomes gathered so far. A run the scheduler dies before writing shows as
    /// running, so it is marked interrupted and run again at the next start (at least once).
    func flush() {
        flushScheduled = false
        let batch = outcomes
        outcomes = []
        try? store.finishRuns(batch)
    }

    private func finished(_ run: HookRun, _ hook: ResolvedHook) {
        let cluster = run.cluster ?? ""
        running[cluster, default: 1] -= 1
        if hook.options.exclusive { exclusive.remove(cluster) }
        pump()
    }
}

/// A first-in-first-out queue of runs that pops in constant time.
struct RunQueue {
    private var items: [HookRun] = []
    private var head = 0

    var first: HookRun? { head < items.count ? items[head] : nil }

    mutating func push(_ run: HookRun) { items.append(run) }

    mutating func pop() -> HookRun? {
        guard head < items.count else { return nil }
        defer {
            head += 1
            if head > 1024 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
        }
        return items[head]
    }
}
