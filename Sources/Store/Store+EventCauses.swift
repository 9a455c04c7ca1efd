import Foundation
import GRDB

extension Store {
    /// Columns for an event's cause (v6): the hook run that recorded it, that run's event, and
    /// the depth of the chain. Old rows are depth 0, with no cause.
    static func migrateEventCauses(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7: event causes") { db in
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN causeRun INTEGER;
                ALTER TABLE events ADD COLUMN causeEvent INTEGER;
                ALTER TABLE events ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
                """)
        }
    }

    /// The chain that led to a run on `event`, from the event that started it (or the hook.loop
    /// that did: one starts a chain of its own): `kind #id`, each followed by the run it caused
    /// (`run N`). Read only when a loop is refused.
    public func causeChain(endingAt event: Int64?, limit: Int = 64) throws -> [String] {
        var links: [String] = []
        var next = event
        try state.read { sql in
            while let id = next, links.count < limit * 2 {
                guard let row = try sql.rows("SELECT kind, causeRun, causeEvent FROM events WHERE id = ?", id).first else { break }
                let kind = row[0].string ?? ""
                links.insert("\(kind) #\(id)", at: 0)
                if kind == "hook.loop" { break }
                if let run = row[1].int64 { links.insert("run \(run)", at: 0) }
                next = row[2].int64
            }
        }
        return links
    }

    /// Records that a hook's event was refused for being deeper than `limit`: a `hook.loop` naming
    /// the chain. It starts a chain of its own (depth 0), so a hook on hook.loop (an alert) runs;
    /// a loop that goes through hook.loop itself is cut there (its report gets hooks no more).
    @discardableResult
    public func recordLoop(refused kind: String, cluster: String?, cause: EventCause, limit: Int) throws -> Event {
        let chain = try causeChain(endingAt: cause.event)
        let throughLoop = chain.first.map { $0.hasPrefix("hook.loop ") } ?? false
        var report = Event(actor: "scheduler", cluster: cluster, kind: "hook.loop", subject: cause.hook,
                           detail: (chain + ["run \(cause.run)", "\(kind) refused"]).joined(separator: " → "),
                           result: "failed: a chain of hooks and events deeper than \(limit)")
        report.causeRun = cause.run
        report.causeEvent = cause.event
        report.depth = throughLoop ? limit + 1 : 0
        return try record(report)
    }
}
