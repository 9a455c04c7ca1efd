import Foundation

/// Codable records on the seam: a query's rows decoded by column name (`SQLRowDecoder`), a
/// record inserted by its coding keys (`SQLRowEncoder`).
extension StateSQL {
    public func fetch<Record: Decodable>(_ type: Record.Type, _ sql: String, _ arguments: any SQLValueConvertible...) throws -> [Record] {
        try fetch(type, sql, arguments: arguments.map(\.sqlValue))
    }

    public func fetch<Record: Decodable>(_ type: Record.Type, _ sql: String, arguments: [SQLValue]) throws -> [Record] {
        try rows(sql, arguments).map { try SQLRowDecoder.decode(type, from: $0) }
    }

    /// Inserts `record` into `table`.
    public func insert(_ record: some Encodable, into table: String) throws {
        let row = try SQLRowEncoder.encode(record)
        try execute("INSERT INTO \(table)(\(row.columns.map(columnName).joined(separator: ", "))) VALUES (\(placeholders(row.values.count)))", row.values)
    }

    /// Inserts `record` into `table` unless a row with the same `key` columns is there (or is
    /// being inserted by another transaction, which this one waits for); answers whether it did.
    public func insert(_ record: some Encodable, into table: String, unlessTaken key: [String]) throws -> Bool {
        let row = try SQLRowEncoder.encode(record)
        return try execute("""
            INSERT INTO \(table)(\(row.columns.map(columnName).joined(separator: ", "))) VALUES (\(placeholders(row.values.count)))
            ON CONFLICT (\(key.map(columnName).joined(separator: ", "))) DO NOTHING
            """, row.values) > 0
    }

    /// Inserts `record` into `table`, whose `id` the database draws, and answers that id.
    public func insertReturningID(_ record: some Encodable, into table: String) throws -> Int64 {
        let row = try SQLRowEncoder.encode(record)
        let sql = "INSERT INTO \(table)(\(row.columns.map(columnName).joined(separator: ", "))) VALUES (\(placeholders(row.values.count))) RETURNING id"
        guard let id = try rows(sql, row.values).first?[0].int64 else { throw StateSQLError("\(table): no id came back from an insert") }
        return id
    }

    /// Inserts `record`, or replaces the row with the same `key` columns (the columns it has; a
    /// nil optional's column keeps its value unless `nulls`, which writes it as NULL).
    public func upsert(_ record: some Encodable, into table: String, key: [String], nulls: Bool = false) throws {
        let row = try SQLRowEncoder.encode(record, nulls: nulls)
        let rest = row.columns.filter { !key.contains($0) }.map(columnName)
        let update = rest.isEmpty ? "NOTHING" : "UPDATE SET " + rest.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        try execute("""
            INSERT INTO \(table)(\(row.columns.map(columnName).joined(separator: ", "))) VALUES (\(placeholders(row.values.count)))
            ON CONFLICT (\(key.map(columnName).joined(separator: ", "))) DO \(update)
            """, row.values)
    }
}

/// A state query that could not do what it was for.
public struct StateSQLError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
