import Foundation
import Logging
import NIOCore
import PostgresNIO
import Store

/// One pooled connection, inside a write's transaction or a read: the seam's `?` statements as
/// PostgreSQL's `$n`, its values as binary binds, its cells back as `SQLValue`s. A write's BEGIN
/// and the statements given to `send` and `rowsAtCommit` are pipelined: sent at once and their
/// answers read with the next statement's, so the dispatcher's turn (BEGIN, outcomes, cursor,
/// new runs, COMMIT) is one round trip, where waiting for each took five.
final class PostgresStatements: StateSQL {
    let connection: PostgresConnection
    let logger: Logger
    /// Statements sent whose answers are not read yet, in the order sent, and where the rows of
    /// those sent with `rowsAtCommit` go.
    private var pending: [(sql: String, answer: EventLoopFuture<PostgresQueryResult>, rows: RowsAtCommit?)] = []

    init(connection: PostgresConnection, logger: Logger) {
        (self.connection, self.logger) = (connection, logger)
    }

    /// Sends BEGIN; the next statement goes right behind it.
    func begin() {
        pending.append(("BEGIN", connection.query(PostgresQuery(unsafeSQL: "BEGIN"), logger: logger), nil))
    }

    func send(_ sql: String, _ arguments: [SQLValue]) throws {
        pending.append((sql, connection.query(Self.query(sql, arguments), logger: logger), nil))
    }

    func rowsAtCommit(_ sql: String, _ arguments: [SQLValue]) throws -> RowsAtCommit {
        let rows = RowsAtCommit()
        pending.append((sql, connection.query(Self.query(sql, arguments), logger: logger), rows))
        return rows
    }

    /// Reads every pending answer, so nothing is left in flight on the connection; throws the
    /// first failure among them.
    func drain() throws {
        let sent = pending
        pending = []
        var failure: (any Error)?
        for (sql, answer, rows) in sent {
            do {
                let result = try answer.wait()
                rows?.set(Result { try Self.rows(of: result) })
            } catch {
                let failed = Self.failure(error, sql: sql)
                rows?.set(.failure(failed))
                if failure == nil { failure = failed }
            }
        }
        if let failure { throw failure }
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try query(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try Self.rows(of: query(sql, arguments))
    }

    func rows(each queries: [(sql: String, arguments: [SQLValue])]) throws -> [[SQLRow]] {
        try answers(queries).map(Self.rows(of:))
    }

    private static func rows(of result: PostgresQueryResult) throws -> [SQLRow] {
        guard let first = result.rows.first else { return [] }
        let columns = first.map { $0.columnName.lowercased() }
        return try result.rows.map { row in SQLRow(lowercased: columns, values: try row.map(value)) }
    }

    /// The call that takes a table's append lock until the transaction ends (`StateDatabase.append`;
    /// `table` is one of ours, never input).
    /// The append lock is taken by a subquery the row is selected from, before the row's id is
    /// drawn, and held until the transaction commits: ids commit in the order they are drawn.
    /// A NULL value takes its column's type, as in `VALUES`.
    func append(to table: String, columns: [String], values: [SQLValue]) throws -> Int64 {
        let sql = """
            INSERT INTO \(table)(\(columns.joined(separator: ", "))) SELECT \(placeholders(values.count))
            FROM (SELECT \(Self.appendLock(table))) AS appending RETURNING id
            """
        return try rows(sql, values).first?[0].int64 ?? 0
    }

    static func appendLock(_ table: String) -> String {
        "pg_advisory_xact_lock(\(PostgresSchema.appendLockKey), hashtext('\(table)'))"
    }

    func run(_ sql: String) throws {
        _ = try query(sql, [])
    }

    private func query(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
        try answers([(sql, arguments)])[0]
    }

    /// Sends `queries` behind the pending statements and waits for all of their answers.
    private func answers(_ queries: [(sql: String, arguments: [SQLValue])]) throws -> [PostgresQueryResult] {
        let sent = queries.map { ($0.sql, connection.query(Self.query($0.sql, $0.arguments), logger: logger)) }
        // a statement refused leaves those behind it in the transaction refused too: read every
        // answer either way, so nothing is left in flight, and throw the first failure
        let earlier = Result { try drain() }
        let answers = sent.map { sql, answer in Result { try answer.wait() }.mapError { Self.failure($0, sql: sql) } }
        try earlier.get()
        return try answers.map { try $0.get() }
    }

    /// The seam's `?` statement as PostgreSQL's `$n`, its values as binary binds.
    private static func query(_ sql: String, _ arguments: [SQLValue]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .real(let value): binds.append(value)
            case .text(let value): binds.append(storable(value))
            case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
            }
        }
        return PostgresQuery(unsafeSQL: Placeholders.numbered(sql), binds: binds)
    }

    /// A failure as the seam's error: whether it took effect, whether the connection is gone.
    private static func failure(_ error: any Error, sql: String) -> StateDatabaseError {
        guard let error = error as? PSQLError else { return error as? StateDatabaseError ?? StateDatabaseError(describe(error)) }
        return StateDatabaseError(describe(error), tookNoEffect: tookNoEffect(error, sql: sql), connectionLost: connectionLost(error))
    }

    /// `text` as PostgreSQL's text can hold it: up to its first NUL, which that type refuses
    /// (the whole statement fails), and where SQLite's binding of a string ends it too.
    static func storable(_ text: String) -> String {
        guard let nul = text.utf8.firstIndex(of: 0) else { return text }
        return String(text[..<nul])
    }

    /// Whether a failure certainly left nothing done, so the whole call may run again on another
    /// connection: refused as it was queued (the connection was closing: nothing was sent), or
    /// the server ending the session (an administrator's terminate, a shutdown, a crash), which
    /// aborts whatever was open. Not for a COMMIT: one cut short may have committed.
    static func tookNoEffect(_ error: PSQLError, sql: String) -> Bool {
        if error.code == .clientClosedConnection { return true }
        guard sql != "COMMIT", let state = error.serverInfo?[.sqlState] else { return false }
        return ["57P01", "57P02", "57P03"].contains(state)
    }

    /// Whether the connection is gone: closed at either end, or its session ended by the server.
    /// The error can reach the caller before the connection is marked closed, so it says so itself.
    static func connectionLost(_ error: PSQLError) -> Bool {
        if [.clientClosedConnection, .serverClosedConnection, .connectionError, .uncleanShutdown].contains(error.code) { return true }
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return ["57P01", "57P02", "57P03"].contains(state)
    }

    /// A cell as the seam's values: integers, reals (numeric too), text, bytes; a boolean as 0 or
    /// 1 and a timestamp as seconds since 1970, as the SQLite side stores them.
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric: return .real(Double(try cell.decode(String.self)) ?? .nan)
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .timestamptz, .timestamp: return .real(try cell.decode(Date.self).timeIntervalSince1970)
        case .bytea: return .blob(Array(buffer: try cell.decode(ByteBuffer.self)))
        default: return .text(try cell.decode(String.self))
        }
    }

    /// What went wrong, in the server's words when it said any (PSQLError's own description
    /// hides them, lest a bound secret leak: the server's message names no bound value).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return "PostgreSQL: \(message)\(state)"
        }
        return "PostgreSQL: \(error.code)"
    }
}
