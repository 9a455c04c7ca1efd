import GRDB

extension Store {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE clusters (
                    name TEXT PRIMARY KEY, provider TEXT NOT NULL, recipePath TEXT, recipeHash TEXT,
                    spec TEXT NOT NULL, createdAt REAL NOT NULL, updatedAt REAL NOT NULL);
                CREATE TABLE layers (
                    cluster TEXT NOT NULL REFERENCES clusters(name) ON DELETE CASCADE, name TEXT NOT NULL,
                    count INTEGER NOT NULL, spec TEXT NOT NULL, PRIMARY KEY (cluster, name));
                CREATE TABLE instances (
                    id TEXT PRIMARY KEY, cluster TEXT NOT NULL, layer TEXT NOT NULL, name TEXT NOT NULL,
                    state TEXT NOT NULL, privateIP TEXT NOT NULL UNIQUE, publicIP TEXT, agentPID INTEGER,
                    lastHeartbeat REAL, cpuPercent DOUBLE, memoryBytes INTEGER, services TEXT NOT NULL,
                    createdAt REAL NOT NULL, UNIQUE (cluster, name));
                CREATE TABLE volumes (
                    id TEXT PRIMARY KEY, cluster TEXT NOT NULL, name TEXT NOT NULL, sizeGB INTEGER NOT NULL,
                    instanceID TEXT, mount TEXT, snapshotID TEXT, createdAt REAL NOT NULL);
                CREATE INDEX volumes_cluster ON volumes(cluster);
                CREATE TABLE snapshots (
                    id TEXT PRIMARY KEY, cluster TEXT NOT NULL, volumeID TEXT NOT NULL, sizeGB INTEGER NOT NULL,
                    sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, createdAt REAL NOT NULL);
                CREATE TABLE addresses (
                    ip TEXT PRIMARY KEY, cluster TEXT NOT NULL, instanceID TEXT, createdAt REAL NOT NULL);
                CREATE TABLE firewallRules (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, cluster TEXT NOT NULL, layer TEXT NOT NULL,
                    port INTEGER NOT NULL, protocol TEXT NOT NULL, source TEXT NOT NULL);
                CREATE TABLE users (
                    cluster TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, sshKey TEXT,
                    sudo BOOLEAN NOT NULL DEFAULT 0, PRIMARY KEY (cluster, name));
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, actor TEXT NOT NULL,
                    cluster TEXT, kind TEXT NOT NULL, subject TEXT, detail TEXT, result TEXT NOT NULL);
                CREATE INDEX events_cluster ON events(cluster, id);
                -- the event log is the audit log: append-only
                CREATE TRIGGER events_no_update BEFORE UPDATE ON events
                    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                CREATE TRIGGER events_no_delete BEFORE DELETE ON events
                    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                CREATE TABLE commands (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, instanceID TEXT NOT NULL, command TEXT NOT NULL,
                    timeout DOUBLE NOT NULL, state TEXT NOT NULL, code INTEGER, stdout TEXT, stderr TEXT,
                    createdAt REAL NOT NULL, finishedAt REAL);
                CREATE INDEX commands_pending ON commands(instanceID, state);
                CREATE TABLE metrics (
                    instanceID TEXT NOT NULL, time REAL NOT NULL, name TEXT NOT NULL, value DOUBLE NOT NULL);
                CREATE INDEX metrics_instance ON metrics(instanceID, name, time);
                CREATE TABLE processes (
                    instanceID TEXT NOT NULL, service TEXT NOT NULL, pid INTEGER NOT NULL,
                    PRIMARY KEY (instanceID, service));
                """)
        }
        migrator.registerMigration("v2: address allocation ids") { db in
            try db.execute(sql: "ALTER TABLE addresses ADD COLUMN allocationID TEXT")
        }
        migrator.registerMigration("v3: releases") { db in
            try db.execute(sql: """
                CREATE TABLE releases (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, cluster TEXT NOT NULL, app TEXT NOT NULL,
                    release TEXT NOT NULL, sha TEXT NOT NULL, ref TEXT NOT NULL, archive TEXT NOT NULL,
                    createdAt REAL NOT NULL, state TEXT NOT NULL);
                CREATE INDEX releases_app ON releases(cluster, app, id);
                """)
        }
        migrator.registerMigration("v4: recipe arguments") { db in
            try db.execute(sql: "ALTER TABLE clusters ADD COLUMN recipeArguments TEXT")
        }
        migrator.registerMigration("v5: scheduler") { db in
            try db.execute(sql: """
                CREATE TABLE hookRuns (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, hook TEXT NOT NULL, cluster TEXT, eventID INTEGER,
                    trigger TEXT NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL, dueAt REAL NOT NULL,
                    startedAt REAL, duration REAL, error TEXT, createdAt REAL NOT NULL);
                CREATE UNIQUE INDEX hookRuns_once ON hookRuns(hook, eventID, attempt) WHERE eventID IS NOT NULL;
                CREATE INDEX hookRuns_state ON hookRuns(state, id);
                CREATE TABLE schedulerState (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE INDEX metrics_time ON metrics(time);
                """)
        }
        migrateLocks(&migrator)
        migrateDeploys(&migrator)
        migrateEventCauses(&migrator)
        migrateUsers(&migrator)
        migrateLogs(&migrator)
        migrateAgentLinks(&migrator)
        migrateHosts(&migrator)
        migrateConsoleSessions(&migrator)
        return migrator
    }
}
