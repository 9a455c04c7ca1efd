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
        return try db.write { db in
            // one prepared statement: a record's Codable insert costs more than the write itself
            let insert = try db.cachedStatement(sql: """
                INSERT INTO logs(time, cluster, instance, instanceID, kind, source, run, text, exitCode, result)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var kept: [LogEntry] = []
            kept.reserveCapacity(cleaned.count)
            for var entry in cleaned {
                try insert.execute(arguments: [entry.time.timeIntervalSince1970, entry.cluster, entry.instance, entry.instanceID,
                                               entry.kind.rawValue, entry.source, entry.run, entry.text, entry.exitCode, entry.result])
                entry.id = db.lastInsertedRowID
                kept.append(entry)
            }
            struct Key: Hashable { var cluster: String, instanceID: String?, kind: String }
            for key in Set(cleaned.map { Key(cluster: $0.cluster, instanceID: $0.instanceID, kind: $0.kind.rawValue) }) {
                if let instanceID = key.instanceID {
                    try db.execute(sql: """
                        DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE instanceID = ? AND kind = ?
                                                      ORDER BY id DESC LIMIT -1 OFFSET ?)
                        """, arguments: [instanceID, key.kind, Self.logsKept])
                } else {
                    try db.execute(sql: """
                        DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE cluster = ? AND kind = ? AND instanceID IS NULL
                                                      ORDER BY id DESC LIMIT -1 OFFSET ?)
                        """, arguments: [key.cluster, key.kind, Self.logsKept])
                }
            }
            // the cluster's bound, looked at every hundredth entry: it walks that many rows of an index
            for cluster in Set(kept.filter { $0.id! % 100 == 0 }.map(\.cluster)) {
                try db.execute(sql: """
                    DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE cluster = ? ORDER BY id DESC LIMIT -1 OFFSET ?)
                    """, arguments: [cluster, clusterBound])
            }
            return kept
        }
    }

    /// A cluster's kept entries, oldest first: of one instance (by name or id) when given, of
    /// these kinds (all when empty), since a time, after an id (a follower's cursor), the newest
    /// `newest` only.
    public func logs(cluster: String, instance: String? = nil, kinds: Set<LogEntry.Kind> = [], since: Date? = nil,
                     after: Int64 = 0, newest: Int? = nil) throws -> [LogEntry] {
        try db.read { db in
            var request = LogEntry.filter(Column("cluster") == cluster && Column("id") > after)
            if let instance {
                // one index each (a plain OR of the two scanned the whole cluster)
                request = request.filter(sql: """
                    id IN (SELECT id FROM logs WHERE cluster = ? AND instance = ? UNION ALL SELECT id FROM logs WHERE instanceID = ?)
                    """, arguments: [cluster, instance, instance])
            }
            if !kinds.isEmpty { request = request.filter(kinds.map(\.rawValue).contains(Column("kind"))) }
            if let since { request = request.filter(Column("time") >= since.timeIntervalSince1970) }
            guard let newest else { return try request.order(Column("id")).fetchAll(db) }
            return try request.order(Column("id").desc).limit(newest).fetchAll(db).reversed()
        }
    }

    /// The instances (name, id) a cluster's kept entries are about, gone ones too.
    public func logInstances(cluster: String) throws -> [(name: String, id: String)] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT DISTINCT instance, instanceID FROM logs WHERE cluster = ? AND instanceID IS NOT NULL ORDER BY instance
                """, arguments: [cluster]).map { ($0["instance"] ?? "", $0["instanceID"]) }
        }
    }

    /// The newest kept entry's id (0 for none): where a follower that wants only new entries starts.
    public func lastLogID() throws -> Int64 {
        try db.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM logs") ?? 0 }
    }
}
