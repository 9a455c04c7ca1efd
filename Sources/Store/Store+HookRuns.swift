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

    /// This run's values for `insertColumns`, in their order.
    var insertValues: [SQLValue] {
        [.text(hook), cluster.sqlValue, eventID.sqlValue, .text(trigger), .text(state.rawValue), .integer(Int64(attempt)),
         dueAt.sqlValue, startedAt.sqlValue, duration.sqlValue, error.sqlValue, createdAt.sqlValue]
    }

    /// Inserts runs on events in batches (a statement per 200, where one each was a round trip
    /// each on PostgreSQL), each unless it exists already (same hook, event and attempt:
    /// `hookRuns_once`); a run of a timer (no event) one at a time. Answers the ids in the runs'
    /// order, nil for a run that was there.
    /// The ids are read once the transaction committed (`rowsAtCommit`): call what this returns
    /// after the write, so that on PostgreSQL the inserts go with the commit, one round trip.
    static func insert(_ runs: [HookRun], in sql: any StateSQL) throws -> () throws -> [Int64?] {
        let onEvents = runs.indices.filter { runs[$0].eventID != nil }
        let chunks = try stride(from: 0, to: onEvents.count, by: 200).map { start in
            let chunk = onEvents[start..<min(start + 200, onEvents.count)]
            let rows = Array(repeating: "(\(placeholders(11)))", count: chunk.count).joined(separator: ", ")
            return (chunk, try sql.rowsAtCommit("""
                INSERT INTO hookRuns(\(insertColumns)) VALUES \(rows) ON CONFLICT DO NOTHING RETURNING id, hook, eventID, attempt
                """, chunk.flatMap { runs[$0].insertValues }))
        }
        let timers = try runs.indices.filter { runs[$0].eventID == nil }.map { index in
            (index, try sql.rowsAtCommit("INSERT INTO hookRuns(\(insertColumns)) VALUES (\(placeholders(11))) RETURNING id", runs[index].insertValues))
        }
        return {
            var ids = [Int64?](repeating: nil, count: runs.count)
            for (chunk, inserted) in chunks {
                var byKey: [String: Int64] = [:]
                for row in try inserted.rows() { byKey["\(row[2].int64 ?? 0) \(row[3].int64 ?? 0) \(row[1].string ?? "")"] = row[0].int64 }
                for index in chunk { ids[index] = byKey["\(runs[index].eventID ?? 0) \(runs[index].attempt) \(runs[index].hook)"] }
            }
            for (index, inserted) in timers { ids[index] = try inserted.rows().first?[0].int64 }
            return ids
        }
    }

    static let insertColumns = "hook, cluster, eventID, trigger, state, attempt, dueAt, startedAt, duration, error, createdAt"
}

extension Store {
    /// Inserts runs and sets scheduler state in one transaction: a dispatch and its cursor, or a
    /// timer's run and its last firing, are written together or not at all. A run that exists
    /// already (same hook, event and attempt) is left as it is and not returned.
    @discardableResult
    public func schedule(_ runs: [HookRun], state values: [String: String]) throws -> [HookRun] {
        let ids = try state.write { sql in
            let ids = try HookRun.insert(runs, in: sql)
            try Self.setSchedulerState(values, in: sql)
            return ids
        }
        return try zip(runs, ids()).compactMap { run, id in
            guard let id else { return nil }
            var inserted = run
            inserted.id = id
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
            try sql.send("INSERT INTO schedulerState(key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         [.text(key), .text(value)])
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
            // all of it sent at once and answered with the commit's: one round trip on PostgreSQL
            try finish(outcomes, in: sql)
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = ids[start..<min(start + 500, ids.count)]
                try sql.send("UPDATE hookRuns SET state = 'running', startedAt = ? WHERE id IN (\(placeholders(chunk.count)))", [time.sqlValue] + chunk.map(SQLValue.integer))
            }
            try Self.setSchedulerState(values, in: sql)
            return try HookRun.insert(runs, in: sql)
        }()
    }

    /// How runs ended, 100 to a statement: an UPDATE from a VALUES list, whose columns both
    /// engines name column1…column4 (cast, so PostgreSQL knows their types).
    func finish(_ outcomes: [RunOutcome], in sql: any StateSQL) throws {
        for start in stride(from: 0, to: outcomes.count, by: 100) {
            let chunk = outcomes[start..<min(start + 100, outcomes.count)]
            let rows = Array(repeating: "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION), CAST(? AS TEXT))", count: chunk.count)
            try sql.send("""
                UPDATE hookRuns SET state = v.column2, duration = v.column3, error = v.column4
                FROM (VALUES \(rows.joined(separator: ", "))) AS v WHERE hookRuns.id = v.column1
                """, chunk.flatMap { o in [.integer(o.id), .text(o.state.rawValue), .real(o.duration), redactor.redact(o.error).sqlValue] })
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
