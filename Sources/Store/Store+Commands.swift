import Cloud
import Foundation
import GRDB

extension Store {
    /// Queues a command for an instance's agent. It holds references to secrets, never their
    /// values: the agent reveals them as it runs it.
    public func enqueueCommand(instance: String, command: String, timeout: Double,
                               kind: CommandRecord.Kind = .run, path: String? = nil) throws -> Int64 {
        try db.write { db in
            var record = CommandRecord(instanceID: instance, command: command, timeout: timeout, kind: kind, path: path)
            try record.insert(db)
            return record.id!
        }
    }

    /// Takes the pending commands of an instance, marking them running and acknowledged: a
    /// command is handed out once, whoever asks again.
    public func claimCommands(instance: String, now: Date = Date()) throws -> [CommandRecord] {
        try db.write { db in
            var pending = try CommandRecord
                .filter(Column("instanceID") == instance && Column("state") == CommandRecord.State.pending.rawValue)
                .order(Column("id")).fetchAll(db)
            for index in pending.indices {
                try db.execute(sql: "UPDATE commands SET state = 'running', acknowledgedAt = ? WHERE id = ?",
                               arguments: [now.timeIntervalSince1970, pending[index].id])
                pending[index].state = .running
                pending[index].acknowledgedAt = now
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

    /// Waits for command `id` to end, until `deadline` (nil then); `check` runs each round and
    /// gives up by throwing. The row is forgotten once read.
    public func awaitCommand(_ id: Int64, until deadline: Date, check: () throws -> Void = {}) async throws -> CommandResult? {
        while Date() < deadline {
            if let record = try command(id), record.state == .done || record.state == .stopped {
                try? forgetCommand(id)
                return record.result
            }
            try check()
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        return nil
    }

    /// Asks the agent to kill command `id` and waits (in a task of its own: the caller's is
    /// cancelled) until it says the command is gone, or `wait` seconds. `wake` tells the agent.
    public func stopCommand(_ id: Int64, on name: String, wait: Double, wake: @escaping @Sendable () -> Void) async -> CommandStopped {
        await Task.detached { [self] in
            let state = try? requestStop(id)
            guard state == .stopping else {
                // never started (stopped), or it ended as it was being stopped (done)
                let record = try? command(id)
                try? forgetCommand(id)
                return CommandStopped(instance: name, confirmed: state != nil, result: record.flatMap { $0.state == .done ? $0.result : nil })
            }
            wake()
            let deadline = Date().addingTimeInterval(wait)
            while Date() < deadline {
                if let record = try? command(id), record.state == .stopped || record.state == .done {
                    try? forgetCommand(id)
                    return CommandStopped(instance: name, confirmed: true, result: record.result)
                }
                try? await Task.sleep(nanoseconds: 10_000_000)
            }
            return CommandStopped(instance: name, confirmed: false)
        }.value
    }
}

extension CommandRecord {
    public var result: CommandResult { CommandResult(code: code ?? -1, stdout: stdout ?? "", stderr: stderr ?? "") }
}
