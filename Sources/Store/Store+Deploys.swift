import Foundation
import GRDB

/// Rollout records (`DeployRecord`, `DeployTarget`): opened, advanced, settled and closed.
extension Store {
    /// Opens a rollout's record with every instance it will touch.
    public func begin(deploy: DeployRecord, targets: [(id: String, name: String, previous: String?)]) throws -> DeployRecord {
        try state.write { sql in
            var deploy = deploy
            let id = try sql.insertReturningID(deploy, into: DeployRecord.databaseTableName)
            deploy.id = id
            for target in targets {
                try sql.insert(DeployTarget(deploy: id, instance: target.id, name: target.name, previous: target.previous),
                               into: DeployTarget.databaseTableName)
            }
            return deploy
        }
    }

    public func advance(deploy id: Int64, instance: String, to phase: DeployTarget.Phase) throws {
        try state.write { sql in
            try sql.execute("UPDATE deployTargets SET phase = ? WHERE deploy = ? AND instance = ?", phase.rawValue, id, instance)
            try sql.execute("UPDATE deploys SET updatedAt = ? WHERE id = ?", Date(), id)
        }
    }

    /// Adds an instance a resumed rollout found that the record did not name (a newcomer).
    public func add(target: DeployTarget) throws {
        try state.write { sql in
            try sql.execute("""
                INSERT INTO deployTargets(deploy, instance, name, previous, phase) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, target.deploy, target.instance, target.name, target.previous, target.phase.rawValue)
        }
    }

    public func end(deploy id: Int64, as state: DeployRecord.State) throws {
        try self.state.write { sql in try Self.end(sql, id, state) }
    }

    /// The app's rollout that never closed (at most one: rollouts hold the cluster's lock).
    public func unfinishedDeploy(cluster: String, app: String) throws -> (DeployRecord, [DeployTarget])? {
        try state.read { sql in
            guard let deploy = try sql.fetch(DeployRecord.self, """
                SELECT * FROM deploys WHERE cluster = ? AND app = ? AND state IN (?, ?) ORDER BY id DESC LIMIT 1
                """, cluster, app, DeployRecord.State.running.rawValue, DeployRecord.State.restoring.rawValue).first else { return nil }
            let targets = try sql.fetch(DeployTarget.self, "SELECT * FROM deployTargets WHERE deploy = ? ORDER BY name", deploy.id!)
            return (deploy, targets)
        }
    }

    public func targets(of deploy: Int64) throws -> [DeployTarget] {
        try state.read { sql in try sql.fetch(DeployTarget.self, "SELECT * FROM deployTargets WHERE deploy = ? ORDER BY name", deploy) }
    }

    /// Every unfinished rollout of the cluster, by app.
    public func unfinishedDeploys(cluster: String) throws -> [(DeployRecord, [DeployTarget])] {
        let apps = try state.read { sql in
            try sql.rows("SELECT DISTINCT app FROM deploys WHERE cluster = ? AND state IN ('running', 'restoring') ORDER BY app", cluster)
                .compactMap { $0[0].string }
        }
        return try apps.compactMap { try unfinishedDeploy(cluster: cluster, app: $0) }
    }

    /// A destroyed cluster's (or an undeployed app's) rollouts are over.
    public func abandonDeploys(cluster: String, app: String? = nil) throws {
        // no `? IS NULL` for a nil app: PostgreSQL cannot tell a NULL parameter's type there
        var query = "UPDATE deploys SET state = 'abandoned' WHERE cluster = ? AND state IN ('running', 'restoring')"
        var arguments: [SQLValue] = [.text(cluster)]
        if let app { query += " AND app = ?"; arguments.append(.text(app)) }
        try state.write { sql in try sql.execute(query, arguments) }
    }

    static func migrateDeploys(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6: deploy records") { db in
            try db.execute(sql: """
                CREATE TABLE deploys (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, cluster TEXT NOT NULL, app TEXT NOT NULL, kind TEXT NOT NULL,
                    release TEXT NOT NULL, source TEXT NOT NULL, sha TEXT NOT NULL, ref TEXT NOT NULL, archive TEXT NOT NULL, "from" TEXT,
                    state TEXT NOT NULL, startedAt REAL NOT NULL, updatedAt REAL NOT NULL);
                CREATE INDEX deploys_app ON deploys(cluster, app, state);
                CREATE TABLE deployTargets (
                    deploy INTEGER NOT NULL REFERENCES deploys(id) ON DELETE CASCADE, instance TEXT NOT NULL,
                    name TEXT NOT NULL, previous TEXT, phase TEXT NOT NULL, PRIMARY KEY (deploy, instance));
                """)
        }
    }
}

extension Store {
    /// Closes a deploy and makes its release current in one transaction: a kill between the two
    /// would leave a current release whose rollout looks unfinished.
    public func finish(deploy id: Int64, release: ReleaseRecord) throws {
        try state.write { sql in
            var release = release
            release.state = .current
            try Self.retire(sql, cluster: release.cluster, app: release.app)
            try sql.insert(release, into: ReleaseRecord.databaseTableName)
            try Self.end(sql, id, .finished)
        }
    }

    /// Closes a rollback and makes the release it went back to current, in one transaction.
    public func finish(rollback id: Int64, current release: Int64, cluster: String, app: String) throws {
        try state.write { sql in
            try Self.retire(sql, cluster: cluster, app: app)
            try sql.execute("UPDATE releases SET state = 'current' WHERE id = ?", release)
            try Self.end(sql, id, .finished)
        }
    }

    /// Closes a rollout that failed or was rolled back; a deploy's release is kept in the history
    /// (failed, or interrupted when it was rolled back by a later command).
    public func end(deploy id: Int64, as state: DeployRecord.State, keeping release: ReleaseRecord?) throws {
        try self.state.write { sql in
            if var release {
                release.state = state == .rolledBack ? .interrupted : .failed
                try sql.insert(release, into: ReleaseRecord.databaseTableName)
            }
            try Self.end(sql, id, state)
        }
    }

    private static func end(_ sql: any StateSQL, _ id: Int64, _ state: DeployRecord.State) throws {
        try sql.execute("UPDATE deploys SET state = ?, updatedAt = ? WHERE id = ?", state.rawValue, Date(), id)
    }
}
