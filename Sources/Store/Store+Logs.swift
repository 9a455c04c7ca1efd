import Foundation
import GRDB

/// The output of hook runs, commands and deploys (`LogEntry`), cleaned of secrets and bounded:
/// each entry its last `logBytes`, each instance the newest `logsKept` entries of each kind (a
/// scheduled hook run, about no instance, counts against its cluster), as OpsWorks kept the last
/// 30 Chef logs of an instance; a cluster at most `logsKeptPerCluster`, so the instances heal and
/// scaling replaced do not pile up. A destroyed cluster's logs go with it.
extension Store {
    public static let logsKept = 50
    public static let logBytes = 64 << 10
    public static let logsKeptPerCluster = 10_000

    static func migrateLogs(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9: logs") { db in
            try db.execute(sql: """
                CREATE TABLE logs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, cluster TEXT NOT NULL,
                    instance TEXT, instanceID TEXT, kind TEXT NOT NULL, source TEXT NOT NULL, run INTEGER,
                    text TEXT NOT NULL, exitCode INTEGER, result TEXT);
                CREATE INDEX logs_instance ON logs(instanceID, kind, id);
                CREATE INDEX logs_cluster ON logs(cluster, kind, id);
                CREATE INDEX logs_cluster_id ON logs(cluster, id);
                CREATE INDEX logs_name ON logs(cluster, instance, id);
                """)
        }
    }

    /// Keeps entries (cleaned of secrets, bounded) and drops, for each instance (or cluster) and
    /// kind they are of, what is past the newest `logsKept`; one transaction. Returns them with ids.
    @discardableResult
    public func appendLogs(_ entries: [LogEntry]) throws -> [LogEntry] {
        try appendLogs(entries, clusterBound: Self.logsKeptPerCluster)
    }

    /// `clusterBound`: a test's smaller bound.
    func appendLogs(_ entries: [LogEntry], clusterBound: Int) throws -> [LogEntry] {
        guard !entries.isEmpty else { return [] }
        let cleaned = entries.map { entry in
            var entry = entry
            entry.source = redactor.redact(entry.source)
            entry.text = LogEntry.bounded(redactor.redact(entry.text))
            entry.result = redactor.redact(entry.result)
            return entry
        }
        return try state.write { sql in
            // 100 entries to a statement: one round trip each on PostgreSQL. Ids are drawn in the
            // rows' order on both engines, whatever order RETURNING answers them in.
            var kept: [LogEntry] = []
            kept.reserveCapacity(cleaned.count)
            for start in stride(from: 0, to: cleaned.count, by: 100) {
                let chunk = cleaned[start..<min(start + 100, cleaned.count)]
                let rows = Array(repeating: "(\(placeholders(10)))", count: chunk.count).joined(separator: ", ")
                let ids = try sql.rows("""
                    INSERT INTO logs(time, cluster, instance, instanceID, kind, source, run, text, exitCode, result)
                    VALUES \(rows) RETURNING id
                    """, chunk.flatMap { entry -> [SQLValue] in
                        [entry.time.sqlValue, .text(entry.cluster), entry.instance.sqlValue, entry.instanceID.sqlValue,
                         .text(entry.kind.rawValue), .text(entry.source), entry.run.sqlValue, .text(entry.text),
                         entry.exitCode.sqlValue, entry.result.sqlValue]
                    }).compactMap { $0[0].int64 }.sorted()
                guard ids.count == chunk.count else { throw StateSQLError("logs: \(ids.count) ids came back from \(chunk.count) inserts") }
                for (entry, id) in zip(chunk, ids) {
                    var entry = entry
                    entry.id = id
                    kept.append(entry)
                }
            }
            // past the newest `logsKept`: at or below the id of the one after them (none: nothing goes)
            struct Key: Hashable { var cluster: String, instanceID: String?, kind: String }
            for key in Set(cleaned.map { Key(cluster: $0.cluster, instanceID: $0.instanceID, kind: $0.kind.rawValue) }) {
                if let instanceID = key.instanceID {
                    try sql.execute("""
                        DELETE FROM logs WHERE instanceID = ? AND kind = ?
                          AND id <= (SELECT id FROM logs WHERE instanceID = ? AND kind = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                        """, instanceID, key.kind, instanceID, key.kind, Self.logsKept)
                } else {
                    try sql.execute("""
                        DELETE FROM logs WHERE cluster = ? AND kind = ? AND instanceID IS NULL
                          AND id <= (SELECT id FROM logs WHERE cluster = ? AND kind = ? AND instanceID IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?)
                        """, key.cluster, key.kind, key.cluster, key.kind, Self.logsKept)
                }
            }
            // the cluster's bound, looked at every hundredth entry: it walks that many rows of an index
            for cluster in Set(kept.filter { $0.id! % 100 == 0 }.map(\.cluster)) {
                try sql.execute("""
                    DELETE FROM logs WHERE cluster = ? AND id <= (SELECT id FROM logs WHERE cluster = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                    """, cluster, cluster, clusterBound)
            }
            return kept
        }
    }

    /// A cluster's kept entries, oldest first: of one instance (by name or id) when given, of
    /// these kinds (all when empty), since a time, after an id (a follower's cursor), the newest
    /// `newest` only.
    public func logs(cluster: String, instance: String? = nil, kinds: Set<LogEntry.Kind> = [], since: Date? = nil,
                     after: Int64 = 0, newest: Int? = nil) throws -> [LogEntry] {
        var conditions = ["cluster = ?", "id > ?"]
        var arguments: [SQLValue] = [.text(cluster), .integer(after)]
        if let instance {
            // one index each (a plain OR of the two scanned the whole cluster)
            conditions.append("id IN (SELECT id FROM logs WHERE cluster = ? AND instance = ? UNION ALL SELECT id FROM logs WHERE instanceID = ?)")
            arguments += [.text(cluster), .text(instance), .text(instance)]
        }
        if !kinds.isEmpty {
            conditions.append("kind IN (\(placeholders(kinds.count)))")
            arguments += kinds.map { SQLValue.text($0.rawValue) }
        }
        if let since { conditions.append("time >= ?"); arguments.append(since.sqlValue) }
        let query = "SELECT * FROM logs WHERE \(conditions.joined(separator: " AND "))"
        return try state.read { sql in
            guard let newest else { return try sql.fetch(LogEntry.self, query + " ORDER BY id", arguments: arguments) }
            return try sql.fetch(LogEntry.self, query + " ORDER BY id DESC LIMIT ?", arguments: arguments + [.integer(Int64(newest))]).reversed()
        }
    }

    /// The instances (name, id) a cluster's kept entries are about, gone ones too.
    public func logInstances(cluster: String) throws -> [(name: String, id: String)] {
        try state.read { sql in
            try sql.rows("""
                SELECT DISTINCT instance, instanceID FROM logs WHERE cluster = ? AND instanceID IS NOT NULL ORDER BY instance
                """, cluster).map { ($0[0].string ?? "", $0[1].string ?? "") }
        }
    }

    /// The newest kept entry's id (0 for none): where a follower that wants only new entries starts.
    public func lastLogID() throws -> Int64 {
        try state.read { sql in try sql.value("SELECT MAX(id) FROM logs")?.int64 ?? 0 }
    }
}
