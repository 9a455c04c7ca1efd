import Foundation
import GRDB

/// The state's SQL on the home's SQLite file, through the Store's own GRDB connections. Every
/// statement is prepared once per connection and kept (the dispatcher runs the same few every
/// few milliseconds).
struct SQLiteStateDatabase: StateDatabase {
    let writer: any DatabaseWriter
    var engine: StateEngine { .sqlite }

    func read<T>(_ body: (any StateSQL) throws -> T) throws -> T {
        try writer.read { try body(SQLiteStatements(db: $0)) }
    }

    func write<T>(_ body: (any StateSQL) throws -> T) throws -> T {
        try writer.write { try body(SQLiteStatements(db: $0)) }
    }

    func append(to table: String, columns: [String], values: [SQLValue]) throws -> Int64 {
        try write { try $0.append(to: table, columns: columns, values: values) }
    }
}

/// One GRDB connection inside its transaction.
struct SQLiteStatements: StateSQL {
    let db: Database

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        let columns = statement.columnNames.map { $0.lowercased() }
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        var rows: [SQLRow] = []
        while let row = try cursor.next() {
            rows.append(SQLRow(lowercased: columns, values: (0..<row.count).map { Self.value(row[$0] as DatabaseValue) }))
        }
        return rows
    }

    /// SQLite has one writer at a time: ids commit in order as they are drawn.
    func append(to table: String, columns: [String], values: [SQLValue]) throws -> Int64 {
        let sql = "INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES (\(placeholders(values.count))) RETURNING id"
        return try rows(sql, values).first?[0].int64 ?? 0
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: nil
            case .integer(let v): v
            case .real(let v): v
            case .text(let v): v
            case .blob(let v): Data(v)
            }
        })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let v): .integer(v)
        case .double(let v): .real(v)
        case .string(let v): .text(v)
        case .blob(let v): .blob([UInt8](v))
        }
    }
}
