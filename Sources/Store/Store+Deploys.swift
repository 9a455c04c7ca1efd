import Foundation
import GRDB

/// Rollout records (`DeployRecord`, `DeployTarget`): opened, advanced, settled and closed.
extension Store {
    /// Opens a rollout's record with every instance it will touch.
    public func begin(deploy: DeployRecord, targets: [(id: String, name: String, previous: String?)]) throws -> DeployRecord {
        try db.write { db in
            var deploy = deploy
            try deploy.insert(db)
            for target in targets {
                try DeployTarget(deploy: deploy.id!, instance: target.id, name: target.name, previous: target.previous).insert(db)
            }
            return deploy
        }
    }

    public func advance(deploy id: Int64, instance: String, to phase: DeployTarget.Phase) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE deployTargets SET phase = ? WHERE deploy = ? AND instance = ?",
                           arguments: [phase.rawValue, id, instance])
            try db.execute(sql: "UPDATE deploys SET updatedAt = ? WHERE id = ?", arguments: [Date().timeIntervalSince1970, id])
        }
    }

    /// Adds an instance a resumed rollout found that the record did not name (a newcomer).
    public func add(target: DeployTarget) throws {
        try db.write { db in try target.insert(db, onConflict: .ignore) }
    }

    public func end(deploy id: Int64, as state: DeployRecord.State) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE deploys SET state = ?, updatedAt = ? WHERE id = ?",
                           arguments: [state.rawValue, Date().timeIntervalSince1970, id])
        }
    }

    /// The app's rollout that never closed (at most one: rollouts hold the cluster's lock).
    public func unfinishedDeploy(cluster: String, app: String) throws -> (DeployRecord, [DeployTarget])? {
        try db.read { db in
            guard let deploy = try DeployRecord.filter(Column("cluster") == cluster && Column("app") == app
                                                       && [DeployRecord.State.running.rawValue, DeployRecord.State.restoring.rawValue]
                                                       .contains(Column("state")))
                .order(Column("id").desc).fetchOne(db) else { return nil }
            let targets = try DeployTarget.filter(Column("deploy") == deploy.id!).order(Column("name")).fetchAll(db)
            return (deploy, targets)
        }
    }

    public func targets(of deploy: Int64) throws -> [DeployTarget] {
        try db.read { db in try DeployTarget.filter(Column("deploy") == deploy).order(Column("name")).fetchAll(db) }
    }

    /// Every unfinished rollout of the cluster, by app.
    public func unfinishedDeploys(cluster: String) throws -> [(DeployRecord, [DeployTarget])] {
        let apps = try db.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT app FROM deploys WHERE cluster = ? AND state IN ('running', 'restoring') ORDER BY app",
                                arguments: [cluster])
        }
        return try apps.compactMap { try unfinishedDeploy(cluster: cluster, app: $0) }
    }

    /// A destroyed cluster's (or an undeployed app's) rollouts are over.
    public func abandonDeploys(cluster: String, app: String? = nil) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE deploys SET state = 'abandoned' WHERE cluster = ? AND (? IS NULL OR app = ?) AND state IN ('running', 'restoring')",
                           arguments: [cluster, app, app])
        }
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
        try db.write { db in
            var release = release
            release.state = .current
            try Self.retire(db, cluster: release.cluster, app: release.app)
            try release.insert(db)
            try Self.end(db, id, .finished)
        }
    }

    /// Closes a rollback and makes the release it went back to current, in one transaction.
    public func finish(rollback id: Int64, current release: Int64, cluster: String, app: String) throws {
        try db.write { db in
            try Self.retire(db, cluster: cluster, app: app)
            try db.execute(sql: "UPDATE releases SET state = 'current' WHERE id = ?", arguments: [release])
            try Self.end(db, id, .finished)
        }
    }

    /// Closes a rollout that failed or was rolled back; a deploy's release is kept in the history
    /// (failed, or interrupted when it was rolled back by a later command).
    public func end(deploy id: Int64, as state: DeployRecord.State, keeping release: ReleaseRecord?) throws {
        try db.write { db in
            if var release {
                release.state = state == .rolledBack ? .interrupted : .failed
                try release.insert(db)
            }
            try Self.end(db, id, state)
        }
    }

    private static func end(_ db: Database, _ id: Int64, _ state: DeployRecord.State) throws {
        try db.execute(sql: "UPDATE deploys SET state = ?, updatedAt = ? WHERE id = ?",
                       arguments: [state.rawValue, Date().timeIntervalSince1970, id])
    }
}
