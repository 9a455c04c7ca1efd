/// The SQL of one transaction on the state, on either engine. Statements use `?` placeholders and
/// the SQL both engines speak: `INSERT … ON CONFLICT … DO UPDATE`, `… RETURNING id`, no
/// `INSERT OR REPLACE`, no engine's own functions.
public protocol StateSQL {
    /// Runs a statement; answers how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    /// Runs a query; answers its rows.
    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
    /// Until this transaction ends, no other writer appends to `table`: its ids then commit in
    /// order, which a reader following it by id (the dispatcher) relies on. A no-op where
    /// writers are one at a time anyway (SQLite).
    func serializeAppends(to table: String) throws
}

extension StateSQL {
    public func execute(_ sql: String, _ arguments: any SQLValueConvertible...) throws {
        try execute(sql, arguments.map(\.sqlValue))
    }

    public func rows(_ sql: String, _ arguments: any SQLValueConvertible...) throws -> [SQLRow] {
        try rows(sql, arguments.map(\.sqlValue))
    }

    /// The first column of the first row, or nil when there is none (or it is NULL).
    public func value(_ sql: String, _ arguments: any SQLValueConvertible...) throws -> SQLValue? {
        let value = try rows(sql, arguments.map(\.sqlValue)).first?[0]
        return value == .null ? nil : value
    }
}

/// Which engine holds a state.
public enum StateEngine: String, Sendable {
    case sqlite, postgres
}

/// Where the Store's SQL runs: SQLite in the home (the embedded default) or PostgreSQL shared by
/// several controllers. A `write` is one transaction, committed when its body returns and rolled
/// back when it throws; a `read` sees one consistent state.
public protocol StateDatabase: Sendable {
    var engine: StateEngine { get }
    func read<T>(_ body: (any StateSQL) throws -> T) throws -> T
    func write<T>(_ body: (any StateSQL) throws -> T) throws -> T
}
