import Cloud
import Foundation
import Store

/// What the agent has yet to tell the state, oldest first. A report is written at once when
/// the state takes it; when it fails (a full disk, a read-only or damaged file, a lock held too
/// long) the reports wait, are retried with backoff (0.1 s doubling up to 1 s, so they land
/// within about a second of the state taking writes again), and at most `limit` wait: the
/// oldest heartbeat or event goes first. Meanwhile the agent keeps supervising.
final class ReportQueue: Sendable {
    static let limit = 2_000
    static let longestWait = 1.0
    /// Seconds between "still failing" lines in the agent's log.
    static let remindEvery = 30.0
    /// Seconds of failing before it is an outage worth a line and an event.
    static let quietFor = 1.0

    private struct Waiting: Sendable {
        var reports: [(serial: Int, report: Report)] = []
        var serial = 0
        var failures = 0
        var failingSince: Date?
        var nextAttempt: Date?
        var lastReminder: Date?
        var dropped = 0
        var delivering = false
    }

    let store: Store
    let instance: String
    let cluster: String
    let log: AgentLog
    private let waiting = Locked(Waiting())

    init(store: Store, instance: String, cluster: String, log: AgentLog) {
        self.store = store
        self.instance = instance
        self.cluster = cluster
        self.log = log
    }

    /// Queues a report and delivers what waits, unless a retry is not due yet.
    func send(_ report: Report) {
        waiting.withLock { waiting in
            if let service = report.service {
                waiting.reports.removeAll { $0.report.service == service }  // the newer pid is the truth
            }
            waiting.serial += 1
            waiting.reports.append((waiting.serial, report))
            if waiting.reports.count > Self.limit, let oldest = waiting.reports.firstIndex(where: { $0.report.droppable }) {
                waiting.reports.remove(at: oldest)
                waiting.dropped += 1
            }
        }
        deliver()
    }

    /// When the next retry is due; nil when nothing waits.
    var nextAttempt: Date? {
        waiting.withLock { $0.reports.isEmpty ? nil : $0.nextAttempt }
    }

    var count: Int { waiting.withLock { $0.reports.count } }

    /// Delivers the waiting reports in order, up to the first that fails. One thread at a time;
    /// `now` ignores the backoff (the agent's last words as it stops).
    func deliver(now: Bool = false) {
        let start = waiting.withLock { waiting -> Bool in
            guard !waiting.delivering, !waiting.reports.isEmpty else { return false }
            if !now, let next = waiting.nextAttempt, next > Date() { return false }
            waiting.delivering = true
            return true
        }
        guard start else { return }
        while true {
            // taken under the lock with the check for more: a report queued while this thread
            // delivers is never left behind until the next tick
            var outage: Outage?
            let next = waiting.withLock { waiting -> (serial: Int, report: Report)? in
                if let first = waiting.reports.first { return first }
                if let since = waiting.failingSince, Date().timeIntervalSince(since) >= Self.quietFor {
                    outage = Outage(since: since, attempts: waiting.failures, dropped: waiting.dropped)
                }
                waiting = Waiting(serial: waiting.serial)
                return nil
            }
            guard let next else {
                if let outage { recovered(outage) }
                return
            }
            do {
                try next.report.deliver(to: store, instance: instance)
                waiting.withLock { waiting in waiting.reports.removeAll { $0.serial == next.serial } }
            } catch where Store.isRefusal(error) {
                // the report itself is refused (no state could take it): it is dropped, not retried
                log.line("a report was refused and dropped: \(Store.reason(error))")
                waiting.withLock { waiting in waiting.reports.removeAll { $0.serial == next.serial } }
            } catch {
                failed(Store.reason(error))
                return
            }
        }
    }

    private struct Outage {
        var since: Date
        var attempts: Int
        var dropped: Int
    }

    private func failed(_ reason: String) {
        let line: String? = waiting.withLock { waiting in
            defer { waiting.delivering = false }
            let now = Date()
            waiting.failures += 1
            waiting.nextAttempt = now.addingTimeInterval(min(Self.longestWait, 0.1 * pow(2, Double(waiting.failures - 1))))
            let since = waiting.failingSince ?? now
            waiting.failingSince = since
            // a lock held a moment (a busy scheduler) is no outage: said once it has lasted a second
            guard now.timeIntervalSince(since) >= Self.quietFor else { return nil }
            guard let last = waiting.lastReminder else {
                waiting.lastReminder = now
                return "cannot write the state (\(reason)); services keep running, \(waiting.reports.count) reports wait and are retried"
            }
            guard now.timeIntervalSince(last) >= Self.remindEvery else { return nil }
            waiting.lastReminder = now
            return "still cannot write the state after \(Int(now.timeIntervalSince(since))) s (\(reason)); "
                + "\(waiting.reports.count) reports wait, \(waiting.dropped) dropped"
        }
        if let line { log.line(line) }
    }

    private func recovered(_ outage: Outage) {
        let seconds = Int(Date().timeIntervalSince(outage.since).rounded())
        let detail = "could not write the state for \(seconds) s (\(outage.attempts) attempts); its reports were delivered late"
            + (outage.dropped > 0 ? ", \(outage.dropped) oldest heartbeats or events dropped" : "")
        log.line("the state takes writes again: " + detail)
        _ = try? store.record(Event(actor: "agent:\(instance)", cluster: cluster, kind: "agent.state_unwritable",
                                    subject: instance, detail: detail, result: "ok"))
    }
}
