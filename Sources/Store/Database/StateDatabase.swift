/// The SQL of one transaction on the state, on either engine. Statements use `?` placeholders and
/// the SQL both engines speak: `INSERT … ON CONFLICT … DO UPDATE`, `… RETURNING id`, no
/// `INSERT OR REPLACE`, no engine's own functions.
public protocol StateSQL {
    /// Runs a statement; answers how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    /// Runs a query; answers its rows.
    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
    /// Appends one row to `table` inside this transaction and answers its id, in id order with
    /// every other append (`StateDatabase.append`): on PostgreSQL the append lock is taken first
    /// and held until this transaction ends, so append last, once the rest is done.
    func append(to table: String, columns: [String], values: [SQLValue]) throws -> Int64
    /// Runs a statement whose answer the caller does not need. On PostgreSQL it is sent at once
    /// and its answer read with the next statement's (pipelined), so several of them and the
    /// statement after cost one round trip; a failure is thrown by the next statement or the
    /// commit at the latest, and the transaction is rolled back as for any other.
    func send(_ sql: String, _ arguments: [SQLValue]) throws
    /// Runs queries none of which needs another's answer, and answers each one's rows, in order.
    /// On PostgreSQL they are pipelined: all of them cost one round trip.
    func rows(each queries: [(sql: String, arguments: [SQLValue])]) throws -> [[SQLRow]]
    /// Runs a query whose rows the caller reads once the transaction is over (a write's
    /// `RETURNING`): on PostgreSQL it is sent at once and its answer read with the commit's, so
    /// a write of such statements is one round trip. Read the answer after `write` returns.
    func rowsAtCommit(_ sql: String, _ arguments: [SQLValue]) throws -> RowsAtCommit
}

/// The rows of a statement sent with `rowsAtCommit`: there once its transaction committed.
public final class RowsAtCommit: @unchecked Sendable {
    private var answer: Result<[SQLRow], any Error>?

    public init(_ rows: [SQLRow]? = nil) {
        answer = rows.map { .success($0) }
    }

    /// Set by the engine when the statement's answer is read.
    public func set(_ answer: Result<[SQLRow], any Error>) { self.answer = answer }

    /// The rows; an error when read before the commit, or when the statement failed.
    public func rows() throws -> [SQLRow] {
        guard let answer else { throw StateSQLError("a statement's rows were read before its transaction committed") }
        return try answer.get()
    }
}

extension StateSQL {
    public func send(_ sql: String, _ arguments: [SQLValue]) throws {
        _ = try execute(sql, arguments)
    }

    public func rows(each queries: [(sql: String, arguments: [SQLValue])]) throws -> [[SQLRow]] {
        try queries.map { try rows($0.sql, $0.arguments) }
    }

    public func rowsAtCommit(_ sql: String, _ arguments: [SQLValue]) throws -> RowsAtCommit {
        RowsAtCommit(try rows(sql, arguments))
    }

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

/// `?, ?, ?` for `count` values: an IN list or a VALUES row.
public func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
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
    @discardableResult
    func write<T>(_ body: (any StateSQL) throws -> T) throws -> T
    /// Appends one row to `table` in a transaction of its own and answers its id. Appends commit
    /// in id order, which a reader that follows the table by id (the dispatcher's cursor) relies
    /// on: SQLite has one writer at a time; PostgreSQL draws ids when rows are inserted, not when
    /// they commit, so there appends take a lock first, or a later id could commit before an
    /// earlier one and the earlier be passed over for good. One round trip on PostgreSQL, where a
    /// `write` would take four.
    func append(to table: String, columns: [String], values: [SQLValue]) throws -> Int64
}

/// A column's name as the state's SQL writes it: `"user"` and `"from"`, words PostgreSQL keeps,
/// quoted (on both engines, which accept it), the others bare (PostgreSQL folds them).
public func columnName(_ name: String) -> String {
    name == "user" || name == "from" ? "\"\(name)\"" : name
}
