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
    /// timer's run and its last firing, are written together or not at all.
    @discardableResult
    public func schedule(_ runs: [HookRun], state: [String: String]) throws -> [HookRun] {
        try db.write { db in
            var inserted: [HookRun] = []
            for var run in runs {
                try run.insert(db, onConflict: .ignore)
                // an ignored insert (the run exists already) changes no row, though GRDB hands it the last row id
                if db.changesCount > 0, run.id != nil { inserted.append(run) }
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
        guard !ids.isEmpty else { return }
        try db.write { db in
            for id in ids {
                try db.execute(sql: "UPDATE hookRuns SET state = 'running', startedAt = ? WHERE id = ?",
                               arguments: [time.timeIntervalSince1970, id])
            }
        }
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
        guard !outcomes.isEmpty else { return }
        try db.write { db in
            for o in outcomes {
                try db.execute(sql: "UPDATE hookRuns SET state = ?, duration = ?, error = ? WHERE id = ?",
                               arguments: [o.state.rawValue, o.duration, redactor.redact(o.error), o.id])
            }
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
