import Dispatch
import Foundation
import Store

/// The scheduler's Store calls under a steady stream of events, on one engine: producers record
/// events at a rate (agents and the CLI, four at once), and one dispatcher follows the log as
/// `Dispatcher` and `Executor` do: a page after its cursor, its runs inserted running with the
/// cursor and the previous page's outcomes in one `advance`. The figure is each event's time from
/// its record to its run's start. No Lua runs: this is the state's share of `recipe serve`'s
/// event path, the part that changes with the engine (Benchmarks/serve_bench.py measures the whole).
struct SchedulerPath {
    let name: String
    let store: Store
    static let producers = 4

    struct Step {
        var rate: Int
        var achieved: Double
        var p50: Double
        var p99: Double
        var holds: Bool { p99 <= 0.020 && achieved >= Double(rate) * 0.95 }
    }

    /// `rate` events a second for `seconds`.
    func step(rate: Int, seconds: Double) throws -> Step {
        let start = DispatchTime.now().uptimeNanoseconds
        let total = Int(Double(rate) * seconds)
        let produced = DispatchGroup()
        for producer in 0..<Self.producers {
            DispatchQueue.global().async(group: produced) {
                // each producer takes every fourth slot of the schedule, and sleeps until it is due
                for n in stride(from: producer, to: total, by: Self.producers) {
                    let due = start + UInt64(Double(n) / Double(rate) * 1e9)
                    let now = DispatchTime.now().uptimeNanoseconds
                    if due > now { usleep(UInt32((due - now) / 1000)) }
                    _ = try? store.record(Event(actor: "agent:bench", cluster: "bench", kind: "bench.tick", subject: String(n)))
                }
            }
        }
        var cursor = try store.lastEventID()
        var latencies: [Double] = []
        latencies.reserveCapacity(total)
        var outcomes: [Store.RunOutcome] = []
        var idle: UInt32 = 1000
        var producing = true
        while producing || latencies.count < total {
            producing = produced.wait(timeout: .now()) == .timedOut
            let page = try store.eventPage(after: cursor, limit: 1000)
            guard let last = page.last?.id else {
                if !producing, latencies.count < total { break }  // a producer's record failed: it is counted short
                usleep(idle)
                idle = min(idle * 2, 10_000)
                continue
            }
            idle = 1000
            let now = Date()
            let runs = page.map { event -> HookRun in
                var run = HookRun(hook: "bench.lua:on:bench.tick#1", cluster: "bench", eventID: event.id, trigger: "event")
                run.state = .running
                run.startedAt = now
                return run
            }
            let ids = try store.advance(outcomes, inserting: runs, starting: [], state: ["dispatch.cursor": String(last)], at: now)
            let started = Date()
            latencies += page.map { started.timeIntervalSince($0.time) }
            outcomes = ids.compactMap { $0.map { Store.RunOutcome(id: $0, state: .ok, duration: 0.0001) } }
            cursor = last
            if page.count < 1000 { usleep(1000) }  // the dispatcher's busy poll
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let sorted = latencies.sorted()
        func at(_ p: Double) -> Double { sorted.isEmpty ? .infinity : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return Step(rate: rate, achieved: Double(latencies.count) / max(elapsed, seconds), p50: at(0.5), p99: at(0.99))
    }

    /// Steps the rate up until a step misses (p99 over 20 ms, or the rate not reached), then holds
    /// the largest rate that held `holds` times; when the holds' median misses, the rate below is
    /// held instead, and so on down: a rate that held one short step only is not the figure.
    func run(rates: [Int], stepSeconds: Double, holdSeconds: Double, holds: Int) throws {
        var passed: [Int] = []
        for rate in rates {
            let step = try step(rate: rate, seconds: stepSeconds)
            print(describe(step, label: "step"))
            guard step.holds else { break }
            passed.append(rate)
        }
        let label = name.padding(toLength: 22, withPad: " ", startingAt: 0)
        for sustained in passed.reversed() {
            let held = try (0..<holds).map { _ in try step(rate: sustained, seconds: holdSeconds) }
            for step in held { print(describe(step, label: "hold")) }
            let median = held.sorted { $0.p99 < $1.p99 }[held.count / 2]
            guard median.holds else { continue }
            print(String(format: "%@ sustained %5d events/s  median p99 %5.1f ms over %d holds of %.0f s", label,
                         sustained, median.p99 * 1000, holds, holdSeconds))
            return
        }
        print("\(label) sustained: none of the rates held")
    }

    func describe(_ step: Step, label: String) -> String {
        String(format: "%@ %@ %5d/s: achieved %6.0f/s  p50 %6.2f ms  p99 %6.2f ms%@", name.padding(toLength: 22, withPad: " ", startingAt: 0), label,
               step.rate, step.achieved, step.p50 * 1000, step.p99 * 1000, step.holds ? "" : "  (misses)")
    }
}
