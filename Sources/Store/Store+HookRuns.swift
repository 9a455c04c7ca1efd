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

extension Store {
    /// Inserts runs and sets scheduler state in one transaction: a dispatch and its cursor, or a
    /// timer's run and its last firing, are written together or not at all. A run that exists
    /// already (same hook, event and attempt) is left as it is and not returned.
    @discardableResult
    public func schedule(_ runs: [HookRun], state: [String: String]) throws -> [HookRun] {
        try db.write { db in
            // one prepared statement for the batch: GRDB's record insert encodes each run through
            // Codable, which was most of the dispatcher's time at a few thousand events a second
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO hookRuns(hook, cluster, eventID, trigger, state, attempt, dueAt, startedAt, duration, error, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var inserted: [HookRun] = []
            inserted.reserveCapacity(runs.count)
            for var run in runs {
                try insert.execute(arguments: [run.hook, run.cluster, run.eventID, run.trigger, run.state.rawValue, run.attempt,
                                               run.dueAt.timeIntervalSince1970, run.startedAt?.timeIntervalSince1970,
                                               run.duration, run.error, run.createdAt.timeIntervalSince1970])
                guard db.changesCount > 0 else { continue }
                run.id = db.lastInsertedRowID
                inserted.append(run)
            }
            for (key, value) in state {
                try db.execute(sql: "INSERT OR REPLACE INTO schedulerState(key, value) VALUES (?, ?)", arguments: [key, value])
            }
            return inserted
        }
    }

    public func schedulerState(_ key: String) throws -> String? {
        try db.read { db in try String.fetchOne(db, sql: "SELECT value FROM schedulerState WHERE key = ?", arguments: [key]) }
    }

    public func schedulerState(prefix: String) throws -> [String: String] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM schedulerState WHERE key LIKE ? || '%'", arguments: [prefix])
                .reduce(into: [:]) { $0[$1["key"]] = $1["value"] }
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
    public func advance(_ outcomes: [RunOutcome], inserting runs: [HookRun], starting ids: [Int64], state: [String: String],
                        at time: Date) throws -> [Int64?] {
        guard !outcomes.isEmpty || !runs.isEmpty || !ids.isEmpty || !state.isEmpty else { return [] }
        return try db.write { db in
            let finish = try db.cachedStatement(sql: "UPDATE hookRuns SET state = ?, duration = ?, error = ? WHERE id = ?")
            for o in outcomes {
                try finish.execute(arguments: [o.state.rawValue, o.duration, redactor.redact(o.error), o.id])
            }
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO hookRuns(hook, cluster, eventID, trigger, state, attempt, dueAt, startedAt, duration, error, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var inserted: [Int64?] = []
            inserted.reserveCapacity(runs.count)
            for run in runs {
                try insert.execute(arguments: [run.hook, run.cluster, run.eventID, run.trigger, run.state.rawValue, run.attempt,
                                               run.dueAt.timeIntervalSince1970, run.startedAt?.timeIntervalSince1970,
                                               run.duration, run.error, run.createdAt.timeIntervalSince1970])
                inserted.append(db.changesCount > 0 ? db.lastInsertedRowID : nil)
            }
            let start = try db.cachedStatement(sql: "UPDATE hookRuns SET state = 'running', startedAt = ? WHERE id = ?")
            for id in ids {
                try start.execute(arguments: [time.timeIntervalSince1970, id])
            }
            for (key, value) in state {
                try db.execute(sql: "INSERT OR REPLACE INTO schedulerState(key, value) VALUES (?, ?)", arguments: [key, value])
            }
            return inserted
        }
    }

    /// At start: runs left `running` by a scheduler that died are marked interrupted; returns them.
    public func interruptRunning() throws -> [HookRun] {
        try db.write { db in
            let running = try HookRun.filter(Column("state") == HookRun.State.running.rawValue).fetchAll(db)
            try db.execute(sql: "UPDATE hookRuns SET state = 'interrupted', error = 'the scheduler stopped while it ran' WHERE state = 'running'")
            return running
        }
    }

    public func pendingRuns() throws -> [HookRun] {
        try db.read { db in try HookRun.filter(Column("state") == HookRun.State.pending.rawValue).order(Column("id")).fetchAll(db) }
    }

    public func hookRuns(hook: String? = nil, eventID: Int64? = nil, limit: Int = 1000) throws -> [HookRun] {
        try db.read { db in
            var request = HookRun.order(Column("id").desc).limit(limit)
            if let hook { request = request.filter(Column("hook") == hook) }
            if let eventID { request = request.filter(Column("eventID") == eventID) }
            return try request.fetchAll(db)
        }
    }
}
