import Cloud
import Foundation
import GRDB

extension Store {
    /// A cluster's records (or everyone's), oldest first.
    func all<Record: FetchableRecord & TableRecord>(_ type: Record.Type, cluster: String?, orderedBy key: String) throws -> [Record] {
        try db.read { db in
            var request = Record.order(Column("createdAt"), Column(key))
            if let cluster { request = request.filter(Column("cluster") == cluster) }
            return try request.fetchAll(db)
        }
    }

    public func volumes(cluster: String? = nil) throws -> [Volume] {
        try all(Volume.self, cluster: cluster, orderedBy: "id")
    }

    public func volume(_ id: String) throws -> Volume? {
        try db.read { db in try Volume.fetchOne(db, key: id) }
    }

    public func save(_ volume: Volume) throws {
        try db.write { db in try volume.save(db) }
    }

    public func deleteVolume(_ id: String) throws {
        try db.write { db in _ = try Volume.deleteOne(db, key: id) }
    }

    public func snapshots(cluster: String? = nil) throws -> [Snapshot] {
        try all(Snapshot.self, cluster: cluster, orderedBy: "id")
    }

    public func snapshot(_ id: String) throws -> Snapshot? {
        try db.read { db in try Snapshot.fetchOne(db, key: id) }
    }

    public func save(_ snapshot: Snapshot) throws {
        try db.write { db in try snapshot.save(db) }
    }

    public func deleteSnapshot(_ id: String) throws {
        try db.write { db in _ = try Snapshot.deleteOne(db, key: id) }
    }

    public func addresses(cluster: String? = nil) throws -> [Address] {
        try all(Address.self, cluster: cluster, orderedBy: "ip")
    }

    public func addresses(of instance: String) throws -> [Address] {
        try db.read { db in try Address.filter(Column("instanceID") == instance).fetchAll(db) }
    }

    public func address(_ ip: String) throws -> Address? {
        try db.read { db in try Address.fetchOne(db, key: ip) }
    }

    /// Allocates the next elastic address of the block starting at 127.`block`.
    public func allocateAddress(cluster: String, block: Int) throws -> Address {
        try db.write { db in
            let address = Address(ip: Self.address(block, try next("elastic-address", in: db)), cluster: cluster)
            try address.insert(db)
            return address
        }
    }

    /// Points the address at `instance` (or nowhere) and keeps the instance's public IP in step.
    public func associate(address ip: String, with instance: String?) throws {
        try db.write { db in
            if let old = try String.fetchOne(db, sql: "SELECT instanceID FROM addresses WHERE ip = ?", arguments: [ip]) {
                try db.execute(sql: "UPDATE instances SET publicIP = NULL WHERE id = ?", arguments: [old])
            }
            try db.execute(sql: "UPDATE addresses SET instanceID = ? WHERE ip = ?", arguments: [instance, ip])
            if let instance {
                try db.execute(sql: "UPDATE instances SET publicIP = ? WHERE id = ?", arguments: [ip, instance])
            }
        }
    }

    public func deleteAddress(_ ip: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE instances SET publicIP = NULL WHERE publicIP = ?", arguments: [ip])
            _ = try Address.deleteOne(db, key: ip)
        }
    }
}
