import Foundation
import GRDB

/// One deploy of an app: the commit, the archive it was unpacked from, and whether it is live.
public struct ReleaseRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, EpochDates {
    public static var databaseTableName: String { "releases" }
    /// `undeployed`: the release that was current when the app was taken off its instances; none is current since.
    /// `interrupted`: its deploy was killed midway, and the next command rolled it back.
    public enum State: String, Codable, Sendable { case current, superseded, failed, undeployed, interrupted }

    public var id: Int64?
    public var cluster: String
    public var app: String
    /// The folder name on instances: TIME-SHA.
    public var release: String
    public var sha: String
    public var ref: String
    public var archive: String
    public var createdAt: Date
    public var state: State

    public init(cluster: String, app: String, release: String, sha: String, ref: String, archive: String, state: State) {
        self.cluster = cluster
        self.app = app
        self.release = release
        self.sha = sha
        self.ref = ref
        self.archive = archive
        self.createdAt = Date()
        self.state = state
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension Store {
    /// Newest first.
    public func releases(cluster: String, app: String) throws -> [ReleaseRecord] {
        try state.read { sql in
            try sql.fetch(ReleaseRecord.self, "SELECT * FROM releases WHERE cluster = ? AND app = ? ORDER BY id DESC", cluster, app)
        }
    }

    public func currentRelease(cluster: String, app: String) throws -> ReleaseRecord? {
        try releases(cluster: cluster, app: app).first { $0.state == .current }
    }

    /// Records a release; `current` supersedes the app's previous current one.
    public func record(release: ReleaseRecord) throws {
        try state.write { sql in
            if release.state == .current { try Self.retire(sql, cluster: release.cluster, app: release.app) }
            try sql.insert(release, into: ReleaseRecord.databaseTableName)
        }
    }

    /// Makes an earlier release current again (rollback).
    public func makeCurrent(_ id: Int64, cluster: String, app: String) throws {
        try state.write { sql in
            try Self.retire(sql, cluster: cluster, app: app)
            try sql.execute("UPDATE releases SET state = 'current' WHERE id = ?", id)
        }
    }

    /// No release is current any more (undeploy): the current one is marked `undeployed`; the history stays.
    public func retireReleases(cluster: String, app: String) throws {
        try state.write { sql in
            try sql.execute("UPDATE releases SET state = 'undeployed' WHERE cluster = ? AND app = ? AND state = 'current'", cluster, app)
        }
    }

    /// Apps of `cluster` that were undeployed and not deployed since: none of their releases is current.
    public func undeployedApps(cluster: String) throws -> Set<String> {
        try state.read { sql in
            let apps = try sql.rows("""
                SELECT app FROM releases WHERE cluster = ? GROUP BY app
                HAVING SUM(CASE WHEN state = 'current' THEN 1 ELSE 0 END) = 0 AND SUM(CASE WHEN state = 'undeployed' THEN 1 ELSE 0 END) > 0
                """, cluster).compactMap { $0[0].string }
            return Set(apps)
        }
    }

    /// A deploy or a rollback retires the current release, and an undeployed one too.
    static func retire(_ sql: any StateSQL, cluster: String, app: String) throws {
        try sql.execute("UPDATE releases SET state = 'superseded' WHERE cluster = ? AND app = ? AND state IN ('current', 'undeployed')",
                        cluster, app)
    }
}
