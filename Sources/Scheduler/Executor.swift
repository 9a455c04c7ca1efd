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
/// Runs start and end in batches: the runs dispatched (with the dispatch cursor), those that
/// ended since, and those then starting are written in one transaction (what ended with nothing
/// to start waits for the next, a millisecond or so while events come); the runs starting
/// together enter their recipe's VM once, and those that end in one turn of the VM's loop come
/// back together. So a burst of events costs a transaction and a few hops per batch, not per run.
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
    /// Scheduler state (the dispatch cursor) written with the next turn.
    private var state: [String: String] = [:]
    private var flushScheduled = false

    var store: Store { engine.store }

    init(engine: Engine, registry: HookRegistry, limit: Int = 10) {
        self.engine = engine
        self.registry = registry
        self.limit = limit
    }

    /// Whether a cluster's runs wait for more than four turns of its slots: a new run would wait
    /// behind them whenever it was dispatched.
    var backlogged: Bool { queues.values.contains { $0.count > 4 * limit } }

    /// Queues runs written already (pending after a restart, a timer's, an alarm's, retries);
    /// `events` holds the events they run on, when the caller has read them.
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

    /// Queues the runs the dispatcher made of the events up to its new cursor: they, the cursor,
    /// the outcomes gathered and the runs starting are this turn's one transaction (the runs
    /// given a slot are inserted running). False when that write failed: nothing of it happened,
    /// and the dispatcher reads the same events again.
    func dispatch(_ runs: [HookRun], events: [Int64: Event], state: [String: String]) -> Bool {
        for run in runs {
            queues[run.cluster ?? "", default: RunQueue()].push(Queued(run: run, event: run.eventID.flatMap { events[$0] }))
        }
        self.state.merge(state) { $1 }
        return pump()
    }

    /// Writes the outcomes gathered when no turn took them within 10 ms: while events come, the
    /// next dispatch (a millisecond or so) writes them with its runs, one commit for both, and
    /// this timer is armed at most a hundred times a second.
    private func flushSoon() {
        guard !flushScheduled else { return }
        flushScheduled = true
        Task {
            try? await Task.sleep(nanoseconds: 10_000_000)
            self.flush()
        }
    }

    private func flush() {
        flushScheduled = false
        if !outcomes.isEmpty { pump(flush: true) }
    }

    /// Starts what the limits allow: per cluster, in order, an exclusive hook waiting its turn.
    /// One write: what ended, the new runs, what starts, the cursor. Returns whether it was made.
    @discardableResult
    private func pump(flush: Bool = false) -> Bool {
        let now = Date()
        if !delayed.isEmpty {
            let due = delayed.filter { $0.dueAt <= now }
            delayed.removeAll { $0.dueAt <= now }
            for run in due { queues[run.cluster ?? "", default: RunQueue()].push(Queued(run: run, event: nil)) }
        }
        var starting: [Starting] = []
        var skipped: [HookRun] = []
        for cluster in queues.keys {
            while running[cluster, default: 0] < limit, let queued = queues[cluster]!.first {
                guard let hook = registry.hook(queued.run.hook) else {
                    _ = queues[cluster]!.pop()
                    let why = "its hook is no longer registered"
                    if let id = queued.run.id {
                        outcomes.append(Store.RunOutcome(id: id, state: .skipped, duration: 0, error: why))
                    } else {
                        var run = queued.run
                        run.state = .skipped
                        run.error = why
                        skipped.append(run)
                    }
                    continue
                }
                if hook.options.exclusive && exclusive.contains(cluster) { break }
                _ = queues[cluster]!.pop()
                take(cluster, hook)
                starting.append(Starting(queued: queued, hook: hook))
            }
        }
        // new runs: those given a slot are written running, then the skipped, then those waiting
        var fresh: [HookRun] = [], freshStarting: [Int] = [], older: [Int64] = []
        for (index, start) in starting.enumerated() {
            if let id = start.queued.run.id {
                older.append(id)
            } else {
                var run = start.queued.run
                run.state = .running
                run.startedAt = now
                fresh.append(run)
                freshStarting.append(index)
            }
        }
        fresh += skipped
        let waiting = queues.keys.filter { queues[$0]!.hasUnsaved }
        for cluster in waiting { fresh += queues[cluster]!.unsaved.map(\.run) }
        if fresh.isEmpty && older.isEmpty && state.isEmpty && !(flush && !outcomes.isEmpty) {
            if !outcomes.isEmpty { flushSoon() }  // what ended waits for the next write
            scheduleWake()
            return true
        }
        let ids: [Int64?]
        do {
            ids = try store.advance(outcomes, inserting: fresh, starting: older, state: state, at: now)
        } catch {
            // nothing was written: new runs are dropped (their events are read again), outcomes wait
            for index in freshStarting.reversed() {
                let run = starting.remove(at: index)
                give(back: run.queued.run.cluster ?? "", run.hook)
            }
            for cluster in waiting { queues[cluster]!.dropUnsaved() }
            state = [:]
            launch(starting, at: now)
            scheduleWake()
            return false
        }
        outcomes = []
        state = [:]
        // the new runs' ids, in the order written; a run that existed already (nil) is not run again
        for (offset, index) in freshStarting.enumerated().reversed() {
            if let id = ids[offset] {
                starting[index].queued.run.id = id
            } else {
                let run = starting.remove(at: index)
                give(back: run.queued.run.cluster ?? "", run.hook)
            }
        }
        var next = freshStarting.count + skipped.count
        for cluster in waiting {
            let count = queues[cluster]!.unsaved.count
            queues[cluster]!.save(ids[next..<next + count])
            next += count
        }
        launch(starting, at: now)
        scheduleWake()
        return true
    }

    private func take(_ cluster: String, _ hook: ResolvedHook) {
        running[cluster, default: 0] += 1
        if hook.options.exclusive { exclusive.insert(cluster) }
    }

    private func give(back cluster: String, _ hook: ResolvedHook) {
        running[cluster, default: 1] -= 1
        if hook.options.exclusive { exclusive.remove(cluster) }
    }

    /// Wakes the queue when the next retry is due.
    private func scheduleWake() {
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
                        let hookRun = run.queued.run
                        let event = try run.queued.event ?? hookRun.eventID.flatMap { try engine.store.event($0) }
                        let table = try await tables.table(for: hookRun, event: event)
                        // what the hook emits names this run and its event as its cause
                        let cause = EventCause(run: hookRun.id!, hook: hookRun.hook, event: event?.id, depth: event?.depth ?? 0)
                        invocations.append(LuaInvocation(run.hook.function, [table], timeLimit: run.hook.options.budget,
                                                         context: HookContext(cause: cause, output: run.output)))
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
        keepLogs(results, at: end)
        for (starting, failure) in results {
            let run = starting.queued.run, hook = starting.hook
            outcomes.append(Store.RunOutcome(id: run.id!, state: failure == nil ? .ok : .failed, duration: duration, error: failure))
            if let failure {
                // caused by the run, one deeper than its event: a hook on hook.failed that fails is a loop cut at the depth limit
                var failed = Event(actor: "scheduler", cluster: run.cluster, kind: "hook.failed", subject: run.hook,
                                   detail: "run \(run.id!) (\(run.trigger), attempt \(run.attempt))", result: "failed: \(failure)")
                failed.caused(by: EventCause(run: run.id!, hook: run.hook, event: run.eventID, depth: starting.queued.event?.depth ?? 0))
                _ = try? store.record(failed)
                if run.attempt <= hook.options.retryTimes { again(run, hook) }
            }
            give(back: run.cluster ?? "", hook)
        }
        pump()
    }

    /// The output of the runs that logged or ran something, or failed, as their cluster's logs, in
    /// one write (a run that did neither leaves its row in hookRuns only: a burst of quiet runs
    /// costs no write more).
    private func keepLogs(_ results: [(Starting, String?)], at end: Date) {
        let entries = results.compactMap { starting, failure -> LogEntry? in
            let run = starting.queued.run, text = starting.output.text
            guard let cluster = run.cluster, !text.isEmpty || failure != nil else { return nil }
            return LogEntry(time: end, cluster: cluster, instance: nil, instanceID: nil, kind: .hook, source: Self.source(run.hook),
                            run: run.id, text: text, result: failure.map { "failed: \($0)" } ?? "ok")
        }
        _ = try? store.appendLogs(entries)
    }

    /// A hook's key without its recipe: `on:deploy.finished#1`, `every:5m#2`.
    static func source(_ key: String) -> String {
        key.split(separator: "#", omittingEmptySubsequences: false).suffix(2).joined(separator: "#")
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
    /// Without an id until the turn that dispatched it is written.
    var run: HookRun
    let event: Event?
}

/// A run given its slot, the hook it runs, and what it logs and runs (kept when it ends).
struct Starting: Sendable {
    var queued: Queued
    let hook: ResolvedHook
    let output = LogCapture()
}
