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
        try db.read { db in try HostMachine.filter(Column("cluster") == cluster).order(Column("createdAt")).fetchAll(db) }
    }

    public func hostMachine(instance: String) throws -> HostMachine? {
        try db.read { db in try HostMachine.filter(Column("instanceID") == instance).fetchOne(db) }
    }

    /// Sets a registered host aside for the cluster's layer; refused when it serves already.
    public func reserveHost(_ address: HostAddress, cluster: String, layer: String, identity: String?) throws {
        try db.write { db in
            if let known = try HostMachine.fetchOne(db, key: address.description) {
                throw CloudError(known.name.map { "\(address) already serves \(known.cluster)/\(known.layer) as \($0)" }
                                 ?? "\(address) is already registered for \(known.cluster)/\(known.layer)")
            }
            try HostMachine(address: address.description, cluster: cluster, layer: layer, identity: identity, registered: true).insert(db)
        }
    }

    /// Takes a machine for a new instance, in one transaction: a host registered for this layer
    /// first (the newest: the one `recipe register` just brought), else the first host of `pool`
    /// that serves nothing. Nil when none is free.
    public func claimHost(pool: [HostAddress], identity: String?, cluster: String, layer: String,
                          instanceID: String, name: String) throws -> HostMachine? {
        try db.write { db in
            if var registered = try HostMachine.filter(Column("cluster") == cluster && Column("layer") == layer && Column("instanceID") == nil)
                .order(Column("createdAt").desc).fetchOne(db) {
                (registered.instanceID, registered.name, registered.state) = (instanceID, name, Instance.State.pending.rawValue)
                try registered.update(db)
                return registered
            }
            let busy = Set(try String.fetchAll(db, sql: "SELECT address FROM hostMachines"))
            guard let free = pool.first(where: { !busy.contains($0.description) }) else { return nil }
            let claimed = HostMachine(address: free.description, cluster: cluster, layer: layer, instanceID: instanceID, name: name,
                                      identity: identity, registered: false, state: Instance.State.pending.rawValue)
            try claimed.insert(db)
            return claimed
        }
    }

    public func setHostState(_ instances: [String], _ state: Instance.State) throws {
        try db.write { db in
            for id in instances {
                try db.execute(sql: "UPDATE hostMachines SET state = ? WHERE instanceID = ?", arguments: [state.rawValue, id])
            }
        }
    }

    /// The machine serves nothing again: a pool host goes back to the pool, a registered one
    /// stays set aside for its layer (a heal's replacement, or a later scale up, takes it again).
    public func releaseHost(instance: String) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM hostMachines WHERE instanceID = ? AND registered = 0", arguments: [instance])
            try db.execute(sql: "UPDATE hostMachines SET instanceID = NULL, name = NULL, state = 'free' WHERE instanceID = ?", arguments: [instance])
        }
    }

    /// The cluster is destroyed: the hosts registered for it are its no more.
    public func forgetHosts(cluster: String) throws {
        try db.write { db in _ = try HostMachine.filter(Column("cluster") == cluster).deleteAll(db) }
    }

    /// A registered host that never served (its launch failed, or it is given up): forgotten.
    public func forgetHost(_ address: HostAddress) throws {
        try db.write { db in _ = try HostMachine.deleteOne(db, key: address.description) }
    }

    public func hostVolumes(cluster: String) throws -> [HostVolume] {
        try db.read { db in try HostVolume.filter(Column("cluster") == cluster).order(Column("createdAt")).fetchAll(db) }
    }

    public func hostVolume(_ id: String) throws -> HostVolume? {
        try db.read { db in try HostVolume.fetchOne(db, key: id) }
    }

    public func saveHostVolume(_ volume: HostVolume) throws {
        try db.write { db in try volume.save(db) }
    }

    public func deleteHostVolume(_ id: String) throws {
        try db.write { db in _ = try HostVolume.deleteOne(db, key: id) }
    }
}
