import Foundation
import GRDB

/// One run of a scheduler hook, for an event or a timer: pending → running → ok | failed
/// (or interrupted, when the scheduler died while it ran; skipped, when its hook is gone).
public struct HookRun: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, EpochDates {
    public static var databaseTableName: String { "hookRuns" }
    public enum State: String, Codable, Sendable { case pending, running, ok, failed, interrupted, skipped }

    public var id: Int64?
    /// The hook's stable key: recipe path, kind and place of registration.
    public var hook: String
    public var cluster: String?
    public var eventID: Int64?
    /// `event`, `timer`, `alarm` or `retry`.
    public var trigger: String
    public var state: State
    public var attempt: Int
    /// Not before: a retry waits for its backoff.
    public var dueAt: Date
    public var startedAt: Date?
    public var duration: Double?
    public var error: String?
    public var createdAt: Date

    public init(hook: String, cluster: String?, eventID: Int64?, trigger: String, attempt: Int = 1, dueAt: Date = Date()) {
        self.hook = hook
        self.cluster = cluster
        self.eventID = eventID
        self.trigger = trigger
        state = .pending
        self.attempt = attempt
        self.dueAt = dueAt
        createdAt = Date()
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension HookRun {
    /// The columns `init(fields:)` reads, in its order.
    static let fieldColumns = "id, hook, cluster, eventID, trigger, state, attempt, dueAt, startedAt, duration, error, createdAt"

    init(fields row: SQLRow) {
        self.init(hook: row[1].string ?? "", cluster: row[2].string, eventID: row[3].int64, trigger: row[4].string ?? "",
                  attempt: row[6].int ?? 1, dueAt: row[7].date ?? Date(timeIntervalSince1970: 0))
        id = row[0].int64
        state = row[5].string.flatMap(State.init(rawValue:)) ?? .pending
        startedAt = row[8].date
        duration = row[9].double
        error = row[10].string
        createdAt = row[11].date ?? Date(timeIntervalSince1970: 0)
    }

    /// This run's values for `insertRun`, in its order.
    var insertValues: [SQLValue] {
        [.text(hook), cluster.sqlValue, eventID.sqlValue, .text(trigger), .text(state.rawValue), .integer(Int64(attempt)),
         dueAt.sqlValue, startedAt.sqlValue, duration.sqlValue, error.sqlValue, createdAt.sqlValue]
    }

    /// Inserts a run unless it exists already (same hook, event and attempt: `hookRuns_once`),
    /// answering its id, or no row when it was there.
    static let insertRun = """
        INSERT INTO hookRuns(hook, cluster, eventID, trigger, state, attempt, dueAt, startedAt, duration, error, createdAt)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id
        """
}

extension Store {
    /// Inserts runs and sets scheduler state in one transaction: a dispatch and its cursor, or a
    /// timer's run and its last firing, are written together or not at all. A run that exists
    /// already (same hook, event and attempt) is left as it is and not returned.
    @discardableResult
    public func schedule(_ runs: [HookRun], state values: [String: String]) throws -> [HookRun] {
        try state.write { sql in
            var inserted: [HookRun] = []
            inserted.reserveCapacity(runs.count)
            for var run in runs {
                guard let id = try sql.rows(HookRun.insertRun, run.insertValues).first?[0].int64 else { continue }
                run.id = id
                inserted.append(run)
            }
            try Self.setSchedulerState(values, in: sql)
            return inserted
        }
    }

    public func schedulerState(_ key: String) throws -> String? {
        try state.read { sql in try sql.value("SELECT value FROM schedulerState WHERE key = ?", key)?.string }
    }

    public func schedulerState(prefix: String) throws -> [String: String] {
        try state.read { sql in
            try sql.rows("SELECT key, value FROM schedulerState WHERE substr(key, 1, \(prefix.count)) = ?", prefix)
                .reduce(into: [:]) { $0[$1[0].string ?? ""] = $1[1].string }
        }
    }

    static func setSchedulerState(_ values: [String: String], in sql: any StateSQL) throws {
        for (key, value) in values {
            try sql.execute("INSERT INTO schedulerState(key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            key, value)
        }
    }

    /// Marks runs as running, in one transaction.
    public func startRuns(_ ids: [Int64], at time: Date = Date()) throws {
        _ = try advance([], inserting: [], starting: ids, state: [:], at: time)
    }

    /// How a run ended.
    public struct RunOutcome: Sendable {
        public var id: Int64
        public var state: HookRun.State
        public var duration: Double
        public var error: String?

        public init(id: Int64, state: HookRun.State, duration: Double, error: String? = nil) {
            self.id = id
            self.state = state
            self.duration = duration
            self.error = error
        }
    }

    /// Records how runs ended, in one transaction.
    public func finishRuns(_ outcomes: [RunOutcome]) throws {
        _ = try advance(outcomes, inserting: [], starting: [], state: [:], at: Date())
    }

    /// The scheduler's one write per turn: how runs ended, new runs (those given a slot already
    /// inserted running), older runs now starting, and scheduler state (the dispatch cursor), in
    /// one transaction. So an event costs one commit from dispatch to start, and a dispatch and
    /// its cursor are written together or not at all. Returns the new runs' ids in order (nil for
    /// a run that exists already: same hook, event and attempt).
    public func advance(_ outcomes: [RunOutcome], inserting runs: [HookRun], starting ids: [Int64], state values: [String: String],
                        at time: Date) throws -> [Int64?] {
        guard !outcomes.isEmpty || !runs.isEmpty || !ids.isEmpty || !values.isEmpty else { return [] }
        return try state.write { sql in
            for o in outcomes {
                try sql.execute("UPDATE hookRuns SET state = ?, duration = ?, error = ? WHERE id = ?",
                                o.state.rawValue, o.duration, redactor.redact(o.error), o.id)
            }
            var inserted: [Int64?] = []
            inserted.reserveCapacity(runs.count)
            for run in runs {
                inserted.append(try sql.rows(HookRun.insertRun, run.insertValues).first?[0].int64)
            }
            for id in ids {
                try sql.execute("UPDATE hookRuns SET state = 'running', startedAt = ? WHERE id = ?", time, id)
            }
            try Self.setSchedulerState(values, in: sql)
            return inserted
        }
    }

    /// At start: runs left `running` by a scheduler that died are marked interrupted; returns them.
    public func interruptRunning() throws -> [HookRun] {
        try state.write { sql in
            let running = try sql.rows("SELECT \(HookRun.fieldColumns) FROM hookRuns WHERE state = 'running' ORDER BY id")
                .map(HookRun.init(fields:))
            try sql.execute("UPDATE hookRuns SET state = 'interrupted', error = 'the scheduler stopped while it ran' WHERE state = 'running'")
            return running
        }
    }

    public func pendingRuns() throws -> [HookRun] {
        try state.read { sql in
            try sql.rows("SELECT \(HookRun.fieldColumns) FROM hookRuns WHERE state = 'pending' ORDER BY id").map(HookRun.init(fields:))
        }
    }

    public func hookRuns(hook: String? = nil, eventID: Int64? = nil, limit: Int = 1000) throws -> [HookRun] {
        var conditions = ["1 = 1"]
        var arguments: [SQLValue] = []
        if let hook { conditions.append("hook = ?"); arguments.append(.text(hook)) }
        if let eventID { conditions.append("eventID = ?"); arguments.append(.integer(eventID)) }
        return try state.read { sql in
            try sql.rows("SELECT \(HookRun.fieldColumns) FROM hookRuns WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT \(limit)",
                         arguments).map(HookRun.init(fields:))
        }
    }
}
