import Foundation
import Logging
import NIOCore
import PostgresNIO
import Store

/// One pooled connection, inside a write's transaction or a read: the seam's `?` statements as
/// PostgreSQL's `$n`, its values as binary binds, its cells back as `SQLValue`s.
struct PostgresStatements: StateSQL {
    let connection: PostgresConnection
    let logger: Logger

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try query(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let result = try query(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = first.map { $0.columnName.lowercased() }
        return try result.rows.map { row in SQLRow(lowercased: columns, values: try row.map(Self.value)) }
    }

    /// The call that takes a table's append lock until the transaction ends (`StateDatabase.append`;
    /// `table` is one of ours, never input).
    static func appendLock(_ table: String) -> String {
        "pg_advisory_xact_lock(\(PostgresSchema.appendLockKey), hashtext('\(table)'))"
    }

    func run(_ sql: String) throws {
        _ = try query(sql, [])
    }

    private func query(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .real(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
            }
        }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: Placeholders.numbered(sql), binds: binds), logger: logger).wait()
        } catch let error as PSQLError where error.code == .clientClosedConnection {
            // refused as it was queued: the connection was closing already, nothing was sent
            throw StateDatabaseError(Self.describe(error), unsent: true)
        } catch {
            throw StateDatabaseError(Self.describe(error))
        }
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
