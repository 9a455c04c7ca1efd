import Cloud
import Foundation
import GRDB

extension Store {
    /// Queues a command for an instance's agent. It holds references to secrets, never their
    /// values: the agent reveals them as it runs it.
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

    /// Records a command's outcome, its output cleaned of secrets; `stopped` when the agent killed
    /// it on request.
    public func completeCommand(_ id: Int64, result: CommandResult, stopped: Bool = false) throws {
        let state: CommandRecord.State = stopped ? .stopped : .done
        try db.write { db in
            try db.execute(
                sql: "UPDATE commands SET state = ?, code = ?, stdout = ?, stderr = ?, finishedAt = ? WHERE id = ?",
                arguments: [state.rawValue, result.code, redactor.redact(result.stdout), redactor.redact(result.stderr),
                            Date().timeIntervalSince1970, id])
        }
    }

    /// Asks the agent to kill a command its caller no longer waits for. A command not yet claimed
    /// is stopped at once; returns its state after: `stopping` when an agent has it to kill.
    @discardableResult
    public func requestStop(_ id: Int64) throws -> CommandRecord.State? {
        try db.write { db in
            try db.execute(sql: "UPDATE commands SET state = 'stopped', finishedAt = ? WHERE id = ? AND state = 'pending'",
                           arguments: [Date().timeIntervalSince1970, id])
            try db.execute(sql: "UPDATE commands SET state = 'stopping' WHERE id = ? AND state = 'running'", arguments: [id])
            return try CommandRecord.fetchOne(db, key: id)?.state
        }
    }

    /// The commands of an instance its agent is asked to kill.
    public func stopRequests(instance: String) throws -> [Int64] {
        try db.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM commands WHERE instanceID = ? AND state = 'stopping'", arguments: [instance])
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
