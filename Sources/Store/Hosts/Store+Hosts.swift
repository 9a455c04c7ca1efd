import Cloud
import Foundation
import GRDB

/// The hosts provider's inventory: which machine serves which instance, and its volumes.
extension Store {
    static func migrateHosts(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v12: hosts") { db in
            try db.execute(sql: """
                CREATE TABLE hostMachines (
                    address TEXT PRIMARY KEY, cluster TEXT NOT NULL, layer TEXT NOT NULL, instanceID TEXT UNIQUE, name TEXT,
                    identity TEXT, registered INTEGER NOT NULL, state TEXT NOT NULL, createdAt REAL NOT NULL);
                CREATE INDEX hostMachines_cluster ON hostMachines(cluster);
                CREATE TABLE hostVolumes (
                    id TEXT PRIMARY KEY, cluster TEXT NOT NULL, name TEXT NOT NULL, sizeGB INTEGER NOT NULL, address TEXT,
                    instanceID TEXT, mount TEXT, createdAt REAL NOT NULL);
                CREATE INDEX hostVolumes_cluster ON hostVolumes(cluster);
                """)
        }
        migrator.registerMigration("v13: controllers' certificates") { db in
            try db.execute(sql: "ALTER TABLE controllers ADD COLUMN certificate TEXT")
        }
    }

    public func hostMachines(cluster: String) throws -> [HostMachine] {
        try state.read { sql in try sql.fetch(HostMachine.self, "SELECT * FROM hostMachines WHERE cluster = ? ORDER BY createdAt", cluster) }
    }

    public func hostMachine(instance: String) throws -> HostMachine? {
        try state.read { sql in try sql.fetch(HostMachine.self, "SELECT * FROM hostMachines WHERE instanceID = ?", instance).first }
    }

    /// Sets a registered host aside for the cluster's layer; refused when it serves already.
    public func reserveHost(_ address: HostAddress, cluster: String, layer: String, identity: String?) throws {
        try state.write { sql in
            // one statement decides, so of two controllers registering one address at once, one does
            let host = HostMachine(address: address.description, cluster: cluster, layer: layer, identity: identity, registered: true)
            guard try !sql.insert(host, into: HostMachine.databaseTableName, unlessTaken: ["address"]) else { return }
            guard let known = try sql.fetch(HostMachine.self, "SELECT * FROM hostMachines WHERE address = ?", address.description).first else {
                throw CloudError("\(address) is already registered")
            }
            throw CloudError(known.name.map { "\(address) already serves \(known.cluster)/\(known.layer) as \($0)" }
                             ?? "\(address) is already registered for \(known.cluster)/\(known.layer)")
        }
    }

    /// Takes a machine for a new instance, in one transaction: a host registered for this layer
    /// first (the newest: the one `recipe register` just brought), else the first host of `pool`
    /// that serves nothing. Nil when none is free.
    public func claimHost(pool: [HostAddress], identity: String?, cluster: String, layer: String,
                          instanceID: String, name: String) throws -> HostMachine? {
        try state.write { sql in
            // each take is conditional: a controller claiming at the same time (PostgreSQL) takes
            // a host once, and the other goes on with the next
            let registered = try sql.fetch(HostMachine.self, """
                SELECT * FROM hostMachines WHERE cluster = ? AND layer = ? AND instanceID IS NULL ORDER BY createdAt DESC
                """, cluster, layer)
            for var host in registered {
                (host.instanceID, host.name, host.state) = (instanceID, name, Instance.State.pending.rawValue)
                let taken = try sql.execute("UPDATE hostMachines SET instanceID = ?, name = ?, state = ? WHERE address = ? AND instanceID IS NULL",
                                            [.text(instanceID), .text(name), .text(host.state), .text(host.address)])
                if taken > 0 { return host }
            }
            let busy = Set(try sql.rows("SELECT address FROM hostMachines").compactMap { $0[0].string })
            for free in pool where !busy.contains(free.description) {
                let claimed = HostMachine(address: free.description, cluster: cluster, layer: layer, instanceID: instanceID, name: name,
                                          identity: identity, registered: false, state: Instance.State.pending.rawValue)
                let taken = try sql.execute("""
                    INSERT INTO hostMachines(address, cluster, layer, instanceID, name, identity, registered, state, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING
                    """, [.text(claimed.address), .text(claimed.cluster), .text(claimed.layer), claimed.instanceID.sqlValue, claimed.name.sqlValue,
                          claimed.identity.sqlValue, claimed.registered.sqlValue, .text(claimed.state), claimed.createdAt.sqlValue])
                if taken > 0 { return claimed }
            }
            return nil
        }
    }

    public func setHostState(_ instances: [String], _ state: Instance.State) throws {
        guard !instances.isEmpty else { return }
        try self.state.write { sql in
            try sql.execute("UPDATE hostMachines SET state = ? WHERE instanceID IN (\(placeholders(instances.count)))",
                            [SQLValue.text(state.rawValue)] + instances.map(SQLValue.text))
        }
    }

    /// The machine serves nothing again: a pool host goes back to the pool, a registered one
    /// stays set aside for its layer (a heal's replacement, or a later scale up, takes it again).
    public func releaseHost(instance: String) throws {
        try state.write { sql in
            try sql.execute("DELETE FROM hostMachines WHERE instanceID = ? AND registered = 0", instance)
            try sql.execute("UPDATE hostMachines SET instanceID = NULL, name = NULL, state = 'free' WHERE instanceID = ?", instance)
        }
    }

    /// The cluster is destroyed: the hosts registered for it are its no more.
    public func forgetHosts(cluster: String) throws {
        try state.write { sql in try sql.execute("DELETE FROM hostMachines WHERE cluster = ?", cluster) }
    }

    /// A registered host that never served (its launch failed, or it is given up): forgotten.
    public func forgetHost(_ address: HostAddress) throws {
        try state.write { sql in try sql.execute("DELETE FROM hostMachines WHERE address = ?", address.description) }
    }

    public func hostVolumes(cluster: String) throws -> [HostVolume] {
        try state.read { sql in try sql.fetch(HostVolume.self, "SELECT * FROM hostVolumes WHERE cluster = ? ORDER BY createdAt", cluster) }
    }

    public func hostVolume(_ id: String) throws -> HostVolume? {
        try state.read { sql in try sql.fetch(HostVolume.self, "SELECT * FROM hostVolumes WHERE id = ?", id).first }
    }

    /// Every column written, NULLs too: a detached volume's instance goes.
    public func saveHostVolume(_ volume: HostVolume) throws {
        try state.write { sql in try sql.upsert(volume, into: HostVolume.databaseTableName, key: ["id"], nulls: true) }
    }

    public func deleteHostVolume(_ id: String) throws {
        try state.write { sql in try sql.execute("DELETE FROM hostVolumes WHERE id = ?", id) }
    }
}
