import Cloud
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Store

/// Runs hook runs: at most `limit` at a time per cluster, one exclusive hook at a time per
/// cluster, each within its budget. A run's row goes pending → running → ok | failed; a failure
/// is recorded as an event too, and retried after its backoff when the hook asks for retries.
///
/// Runs start and end in batches: the runs that end, and those then starting, are written in
/// one transaction; the runs starting together enter their recipe's VM once, and those that end
/// in one turn of the VM's loop come back together. So a burst of events costs a few
/// transactions and hops per batch, not per run.
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
    /// Outcomes not yet written: written with the next runs to start, in one transaction.
    private var outcomes: [Store.RunOutcome] = []

    var store: Store { engine.store }

    init(engine: Engine, registry: HookRegistry, limit: Int = 10) {
        self.engine = engine
        self.registry = registry
        self.limit = limit
    }

    /// Queues runs; `events` holds the events they run on, when the caller has read them already.
    func submit(_ runs: [HookRun], events: [Int64: Event] = [:]) {
        let now = Date()
        for run in runs {
            if run.dueAt > now {
                delayed.append(run)
            } else {
                queues[run.cluster ?? "", default: RunQueue()].push(Queued(run: run, event: run.eventID.flatMap { events[$0] }))
            }
        }
        pump()
    }

    /// Starts what the limits allow: per cluster, in order, an exclusive hook waiting its turn.
    private func pump() {
        let now = Date()
        if !delayed.isEmpty {
            let due = delayed.filter { $0.dueAt <= now }
            delayed.removeAll { $0.dueAt <= now }
            for run in due { queues[run.cluster ?? "", default: RunQueue()].push(Queued(run: run, event: nil)) }
        }
        var starting: [Starting] = []
        for cluster in queues.keys {
            while running[cluster, default: 0] < limit, let queued = queues[cluster]!.first {
                guard let hook = registry.hook(queued.run.hook) else {
                    _ = queues[cluster]!.pop()
                    outcomes.append(Store.RunOutcome(id: queued.run.id!, state: .skipped, duration: 0, error: "its hook is no longer registered"))
                    continue
                }
                if hook.options.exclusive && exclusive.contains(cluster) { break }
                _ = queues[cluster]!.pop()
                running[cluster, default: 0] += 1
                if hook.options.exclusive { exclusive.insert(cluster) }
                starting.append(Starting(queued: queued, hook: hook))
            }
        }
        // what ended since the last write, and what starts now (marked running before any starts)
        try? store.settleRuns(outcomes, starting: starting.map { $0.queued.run.id! }, at: now)
        outcomes = []
        launch(starting, at: now)
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

    /// Enters each VM once for the runs of its hooks that start together.
    private func launch(_ starting: [Starting], at start: Date) {
        let engine = engine
        for batch in Dictionary(grouping: starting, by: \.hook.vm).values {
            Task {
                var tables = EventTable(engine: engine)
                var invocations: [LuaInvocation] = []
                var called: [Starting] = []
                var unbuilt: [(Starting, String?)] = []
                for run in batch {
                    do {
                        let table = try await tables.table(for: run.queued.run, event: run.queued.event)
                        invocations.append(LuaInvocation(run.hook.function, [table], timeLimit: run.hook.options.budget))
                        called.append(run)
                    } catch {
                        unbuilt.append((run, Self.describe(error)))
                    }
                }
                if !unbuilt.isEmpty { self.ended(unbuilt, started: start, at: Date()) }
                let runs = called
                batch[0].hook.callbacks.start(invocations) { outcomes in
                    let end = Date()
                    let results = outcomes.map { outcome -> (Starting, String?) in
                        switch outcome.result {
                        case .success: (runs[outcome.index], nil)
                        case .failure(let error): (runs[outcome.index], error.message)
                        }
                    }
                    Task { await self.ended(results, started: start, at: end) }
                }
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as? LuaError)?.message ?? "\(error)"
    }

    /// Runs that ended (a failure's message beside it): their outcomes wait for the next write,
    /// failures are recorded and retried when the hook asks, and their slots go to the next runs.
    private func ended(_ results: [(Starting, String?)], started: Date, at end: Date) {
        let duration = end.timeIntervalSince(started)
        for (starting, failure) in results {
            let run = starting.queued.run, hook = starting.hook
            outcomes.append(Store.RunOutcome(id: run.id!, state: failure == nil ? .ok : .failed, duration: duration, error: failure))
            if let failure {
                _ = try? store.record(Event(actor: "scheduler", cluster: run.cluster, kind: "hook.failed", subject: run.hook,
                                            detail: "run \(run.id!) (\(run.trigger), attempt \(run.attempt))", result: "failed: \(failure)"))
                if run.attempt <= hook.options.retryTimes { again(run, hook) }
            }
            let cluster = run.cluster ?? ""
            running[cluster, default: 1] -= 1
            if hook.options.exclusive { exclusive.remove(cluster) }
        }
        pump()
    }

    /// Another attempt after the hook's backoff, doubled each time.
    func retry(_ run: HookRun, _ hook: ResolvedHook) {
        again(run, hook)
        pump()
    }

    private func again(_ run: HookRun, _ hook: ResolvedHook) {
        let delay = hook.options.retryBackoff * pow(2, Double(run.attempt - 1))
        var again = HookRun(hook: run.hook, cluster: run.cluster, eventID: run.eventID, trigger: run.trigger,
                            attempt: run.attempt + 1, dueAt: Date().addingTimeInterval(delay))
        again.error = run.error
        if let inserted = try? store.schedule([again], state: [:]) { delayed += inserted }
    }
}

/// A run waiting for its slot, with its event when the dispatcher handed it over.
struct Queued: Sendable {
    let run: HookRun
    let event: Event?
}

/// A run given its slot, and the hook it runs.
struct Starting: Sendable {
    let queued: Queued
    let hook: ResolvedHook
}

/// A first-in-first-out queue of runs that pops in constant time.
struct RunQueue {
    private var items: [Queued] = []
    private var head = 0

    var first: Queued? { head < items.count ? items[head] : nil }

    mutating func push(_ run: Queued) { items.append(run) }

    mutating func pop() -> Queued? {
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
