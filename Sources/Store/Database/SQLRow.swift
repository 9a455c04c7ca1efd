/// One row of a query on the state, read by position or by column name. Names are compared
/// lowercased: PostgreSQL folds unquoted names (`eventID` comes back as `eventid`).
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    /// `columns` lowercased already: an engine does it once per statement, not once per row.
    public init(lowercased columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(position: Int) -> SQLValue { position < values.count ? values[position] : .null }

    public subscript(column: String) -> SQLValue {
        let name = column.lowercased()
        return columns.firstIndex(of: name).map { values[$0] } ?? .null
    }
}
