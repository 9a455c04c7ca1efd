import Cloud
import Foundation
import GRDB

extension Store {
    /// Queues a command for an instance's agent.
    public func enqueueCommand(instance: String, command: String, timeout: Double) throws -> Int64 {
        try db.write { db in
            var record = CommandRecord(instanceID: instance, command: command, timeout: timeout)
            try record.insert(db)
            return record.id!
        }
    }

    /// Takes the pending commands of an instance, marking them running.
    public func claimCommands(instance: String) throws -> [CommandRecord] {
        try db.write { db in
            let pending = try CommandRecord
                .filter(Column("instanceID") == instance && Column("state") == CommandRecord.State.pending.rawValue)
                .order(Column("id")).fetchAll(db)
            for record in pending {
                try db.execute(sql: "UPDATE commands SET state = 'running' WHERE id = ?", arguments: [record.id])
            }
            return pending
        }
    }

    public func completeCommand(_ id: Int64, result: CommandResult) throws {
        try db.write { db in
            try db.execute(
                sql: "UPDATE commands SET state = 'done', code = ?, stdout = ?, stderr = ?, finishedAt = ? WHERE id = ?",
                arguments: [result.code, result.stdout, result.stderr, Date().timeIntervalSince1970, id])
        }
    }

    public func command(_ id: Int64) throws -> CommandRecord? {
        try db.read { db in try CommandRecord.fetchOne(db, key: id) }
    }

    /// Drops a finished command's row (its outcome is in the event log).
    public func forgetCommand(_ id: Int64) throws {
        try db.write { db in _ = try CommandRecord.deleteOne(db, key: id) }
    }
}
