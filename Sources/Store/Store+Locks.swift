import Foundation
import GRDB

/// Who holds a cluster's lock, as Terraform's state lock tells it: the process, its host, the
/// command it runs and since when. `started` is the process's start time (clock ticks after
/// boot, from /proc), so a pid the kernel gave to another process reads as a dead holder.
public struct ClusterLock: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "clusterLocks" }
    public var cluster: String
    public var pid: Int32
    public var host: String
    public var started: Int64
    public var command: String
    public var since: Date

    public init(cluster: String, pid: Int32, host: String, started: Int64, command: String, since: Date = Date()) {
        self.cluster = cluster
        self.pid = pid
        self.host = host
        self.started = started
        self.command = command
        self.since = since
    }

    /// `'recipe deploy shop shop' (pid 4242 on host, since 12:01:07)`.
    public var holder: String {
        let time = DateFormatter()
        time.dateFormat = "HH:mm:ss"
        return "'\(command)' (pid \(pid) on \(host), since \(time.string(from: since)))"
    }
}

extension Store {
    static func migrateLocks(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-cluster-locks") { db in
            try db.execute(sql: """
                CREATE TABLE clusterLocks (
                  cluster TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, started INTEGER NOT NULL,
                  command TEXT NOT NULL, since REAL NOT NULL);
                """)
        }
    }

    /// Takes the cluster's lock for `lock`'s holder, or answers who holds it. A holder that
    /// `isDead` says is gone loses the lock to `lock` in the same transaction, and is answered
    /// as `broken`. Safe when several controllers ask at once, on either engine: the insert
    /// either takes a free lock or finds it held, and a dead holder is replaced only while it is
    /// still the one that was judged dead (a rival that broke it first wins, and is answered).
    public func acquireLock(_ lock: ClusterLock, isDead: (ClusterLock) -> Bool) throws -> (held: ClusterLock?, broken: ClusterLock?) {
        try state.write { sql in
            let taken = try sql.rows("""
                INSERT INTO clusterLocks(cluster, pid, host, started, command, since) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING RETURNING cluster
                """, lock.values)
            if !taken.isEmpty { return (nil, nil) }
            func currentHolder() throws -> ClusterLock? {
                try sql.rows("SELECT \(ClusterLock.fieldColumns) FROM clusterLocks WHERE cluster = ?", lock.cluster).first.map(ClusterLock.init(fields:))
            }
            guard let holder = try currentHolder() else { return (nil, nil) }
            guard isDead(holder) else { return (holder, nil) }
            let replaced = try sql.execute("""
                UPDATE clusterLocks SET pid = ?, host = ?, started = ?, command = ?, since = ?
                WHERE cluster = ? AND pid = ? AND host = ? AND started = ?
                """, Array(lock.values.dropFirst()) + [.text(lock.cluster), .integer(Int64(holder.pid)), .text(holder.host), .integer(holder.started)])
            if replaced == 1 { return (nil, holder) }
            return (try currentHolder(), nil)  // a rival broke it first
        }
    }

    /// Lets go of the cluster's lock, when `pid` on `host` holds it.
    public func releaseLock(cluster: String, pid: Int32, host: String) throws {
        try state.write { sql in try sql.execute("DELETE FROM clusterLocks WHERE cluster = ? AND pid = ? AND host = ?", cluster, pid, host) }
    }

    /// Every lock held now.
    public func locks() throws -> [ClusterLock] {
        try state.read { sql in try sql.rows("SELECT \(ClusterLock.fieldColumns) FROM clusterLocks ORDER BY cluster").map(ClusterLock.init(fields:)) }
    }
}

extension ClusterLock {
    static let fieldColumns = "cluster, pid, host, started, command, since"

    init(fields row: SQLRow) {
        self.init(cluster: row[0].string ?? "", pid: Int32(clamping: row[1].int64 ?? 0), host: row[2].string ?? "",
                  started: row[3].int64 ?? 0, command: row[4].string ?? "", since: row[5].date ?? Date(timeIntervalSince1970: 0))
    }

    /// Its values in `fieldColumns`' order.
    var values: [SQLValue] { [.text(cluster), .integer(Int64(pid)), .text(host), .integer(started), .text(command), since.sqlValue] }
}
