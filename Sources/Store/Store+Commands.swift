import Cloud
import Foundation

extension Store {
    /// Queues a command for an instance's agent. It holds references to secrets, never their
    /// values: the agent reveals them as it runs it.
    public func enqueueCommand(instance: String, command: String, timeout: Double,
                               kind: CommandRecord.Kind = .run, path: String? = nil) throws -> Int64 {
        let record = CommandRecord(instanceID: instance, command: command, timeout: timeout, kind: kind, path: path)
        return try state.write { sql in
            try sql.rows("""
                INSERT INTO commands(instanceID, kind, command, path, timeout, state, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, record.instanceID, record.kind.rawValue, record.command, record.path, record.timeout, record.state.rawValue, record.createdAt)
                .first?[0].int64
        } ?? 0
    }

    /// Takes the pending commands of an instance, marking them running and acknowledged: a
    /// command is handed out once, whoever asks again, however many controllers ask at once
    /// (one UPDATE takes them: a second waits for it and finds none pending).
    public func claimCommands(instance: String, now: Date = Date()) throws -> [CommandRecord] {
        try state.write { sql in
            try sql.rows("""
                UPDATE commands SET state = 'running', acknowledgedAt = ? WHERE instanceID = ? AND state = 'pending'
                RETURNING \(CommandRecord.fieldColumns)
                """, now, instance).map(CommandRecord.init(fields:)).sorted { ($0.id ?? 0) < ($1.id ?? 0) }
        }
    }

    /// Records a command's outcome, its output cleaned of secrets; `stopped` when the agent killed
    /// it on request.
    public func completeCommand(_ id: Int64, result: CommandResult, stopped: Bool = false) throws {
        let state: CommandRecord.State = stopped ? .stopped : .done
        try self.state.write { sql in
            try sql.execute("UPDATE commands SET state = ?, code = ?, stdout = ?, stderr = ?, finishedAt = ? WHERE id = ?",
                            state.rawValue, result.code, redactor.redact(result.stdout), redactor.redact(result.stderr), Date(), id)
        }
    }

    /// Asks the agent to kill a command its caller no longer waits for. A command not yet claimed
    /// is stopped at once; returns its state after: `stopping` when an agent has it to kill.
    @discardableResult
    public func requestStop(_ id: Int64) throws -> CommandRecord.State? {
        try state.write { sql in
            try sql.execute("UPDATE commands SET state = 'stopped', finishedAt = ? WHERE id = ? AND state = 'pending'", Date(), id)
            try sql.execute("UPDATE commands SET state = 'stopping' WHERE id = ? AND state = 'running'", id)
            return try sql.value("SELECT state FROM commands WHERE id = ?", id)?.string.flatMap(CommandRecord.State.init(rawValue:))
        }
    }

    /// The commands of an instance its agent is asked to kill.
    public func stopRequests(instance: String) throws -> [Int64] {
        try state.read { sql in
            try sql.rows("SELECT id FROM commands WHERE instanceID = ? AND state = 'stopping' ORDER BY id", instance).compactMap { $0[0].int64 }
        }
    }

    public func command(_ id: Int64) throws -> CommandRecord? {
        try state.read { sql in
            try sql.rows("SELECT \(CommandRecord.fieldColumns) FROM commands WHERE id = ?", id).first.map(CommandRecord.init(fields:))
        }
    }

    /// Drops a finished command's row (its outcome is in the event log).
    public func forgetCommand(_ id: Int64) throws {
        try state.write { sql in try sql.execute("DELETE FROM commands WHERE id = ?", id) }
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

    static let fieldColumns = "id, instanceID, kind, command, path, timeout, state, code, stdout, stderr, createdAt, acknowledgedAt, finishedAt"

    init(fields row: SQLRow) {
        self.init(instanceID: row[1].string ?? "", command: row[3].string ?? "", timeout: row[5].double ?? 0,
                  kind: row[2].string.flatMap(Kind.init(rawValue:)) ?? .run, path: row[4].string)
        id = row[0].int64
        state = row[6].string.flatMap(State.init(rawValue:)) ?? .pending
        code = row[7].int64.map { Int32(clamping: $0) }
        stdout = row[8].string
        stderr = row[9].string
        createdAt = row[10].date ?? Date(timeIntervalSince1970: 0)
        acknowledgedAt = row[11].date
        finishedAt = row[12].date
    }
}
