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
    /// as `broken`.
    public func acquireLock(_ lock: ClusterLock, isDead: (ClusterLock) -> Bool) throws -> (held: ClusterLock?, broken: ClusterLock?) {
        try db.write { db in
            if let holder = try ClusterLock.fetchOne(db, key: lock.cluster) {
                guard isDead(holder) else { return (holder, nil) }
                try lock.update(db)
                return (nil, holder)
            }
            try lock.insert(db)
            return (nil, nil)
        }
    }

    /// Lets go of the cluster's lock, when `pid` on `host` holds it.
    public func releaseLock(cluster: String, pid: Int32, host: String) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM clusterLocks WHERE cluster = ? AND pid = ? AND host = ?", arguments: [cluster, pid, host])
        }
    }

    /// Every lock held now.
    public func locks() throws -> [ClusterLock] {
        try db.read { db in try ClusterLock.order(Column("cluster")).fetchAll(db) }
    }
}
