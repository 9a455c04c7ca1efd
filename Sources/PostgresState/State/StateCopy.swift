import Foundation
import Store

/// `recipe state migrate`: copies a home's SQLite state, table by table, into an empty
/// PostgreSQL state in one transaction (all of it lands, or nothing), keeping every id, and
/// moves the identity columns past the ids copied so the next append follows on.
public enum StateCopy {
    /// Tables the PostgreSQL side keeps for itself.
    static let own: Set<String> = ["recipe_migrations", "controller_leader"]

    /// Rows per INSERT, under PostgreSQL's 65,535 bound values a statement.
    static let boundValues = 20_000

    /// Answers each table with the rows copied, in the order copied.
    public static func copy(from source: any StateDatabase, to target: PostgresStateDatabase) throws -> [(table: String, rows: Int)] {
        try target.write { sql in
            let tables = try sql.rows("""
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name
                """).compactMap { $0[0].string }.filter { !own.contains($0) }
            for table in tables where try sql.value("SELECT 1 FROM \(table) LIMIT 1") != nil {
                throw StateSQLError("\(target.url) holds a state already (its \(table) has rows): migrate into an empty database")
            }
            let present = Set(try source.read { try $0.rows("SELECT lower(name) FROM sqlite_master WHERE type = 'table'") }.compactMap { $0[0].string })
            var copied: [(String, Int)] = []
            for table in tables where present.contains(table) {
                copied.append((table, try copyTable(table, from: source, into: sql)))
            }
            for table in try sql.rows("""
                SELECT table_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'
                """).compactMap({ $0[0].string }) where !own.contains(table) {
                try sql.execute("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM \(table)), false)")
            }
            return copied
        }
    }

    /// Pages through the SQLite table by rowid, so a long event log never sits in memory whole.
    private static func copyTable(_ table: String, from source: any StateDatabase, into sql: any StateSQL) throws -> Int {
        var after: Int64 = -1
        var count = 0
        while true {
            let page = try source.read { try $0.rows("SELECT rowid AS recipe_rowid, * FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT 2000", after) }
            guard let last = page.last else { return count }
            after = last[0].int64 ?? after
            let columns = Array(last.columns.dropFirst())
            let perInsert = max(1, boundValues / max(1, columns.count))
            for start in stride(from: 0, to: page.count, by: perInsert) {
                let rows = page[start..<min(start + perInsert, page.count)]
                let row = "(\(placeholders(columns.count)))"
                do {
                    try sql.execute("INSERT INTO \(table)(\(columns.map(columnName).joined(separator: ", "))) VALUES "
                                        + Array(repeating: row, count: rows.count).joined(separator: ", "),
                                    rows.flatMap { $0.values.dropFirst() })
                } catch {
                    throw StateSQLError("copying \(table): \(error)")
                }
            }
            count += page.count
        }
    }
}
