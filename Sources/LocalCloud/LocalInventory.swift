import Cloud
import Foundation
import GRDB
import Store

/// The local provider's own inventory: its instances (with what their agents report), volumes,
/// snapshots and addresses, in tables of the home's state database that only this target reads
/// and writes. The Store keeps what every provider shares; nothing else reads these rows.
public struct LocalInventory: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    var database: any DatabaseWriter { store.database }

    public func instances(cluster: String? = nil) throws -> [Instance] {
        try database.read { db in
            var request = LocalInstanceRow.order(Column("cluster"), Column("layer"), Column("createdAt"), Column("name"))
            if let cluster { request = request.filter(Column("cluster") == cluster) }
            return try request.fetchAll(db).map(\.instance)
        }
    }

    public func instance(_ id: String) throws -> Instance? {
        try database.read { db in try LocalInstanceRow.fetchOne(db, key: id)?.instance }
    }

    /// A cluster's instance by name (web-2) or id.
    public func instance(cluster: String, named name: String) throws -> Instance? {
        try database.read { db in
            try LocalInstanceRow.filter(Column("cluster") == cluster && (Column("name") == name || Column("id") == name)).fetchOne(db)?.instance
        }
    }

    /// Inserts a new instance with the next address of the block starting at 127.`block`.
    public func insertInstance(_ make: (String) -> Instance, addressBlock: Int) throws -> Instance {
        try database.write { db in
            let ip = Self.address(addressBlock, try next("instance-address", in: db))
            let instance = make(ip)
            try LocalInstanceRow(instance).insert(db)
            return instance
        }
    }

    public func setState(_ id: String, _ state: Instance.State, agentPID: Int32? = nil) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE instances SET state = ?, agentPID = ? WHERE id = ?",
                           arguments: [state.rawValue, agentPID, id])
        }
    }

    public func setAgentPIDIfUnset(_ id: String, _ pid: Int32) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE instances SET agentPID = ? WHERE id = ? AND agentPID IS NULL", arguments: [pid, id])
        }
    }

    public func deleteInstance(_ id: String) throws {
        try database.write { db in
            _ = try LocalInstanceRow.deleteOne(db, key: id)
            try db.execute(sql: "DELETE FROM processes WHERE instanceID = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM metrics WHERE instanceID = ?", arguments: [id])
        }
    }

    /// One agent heartbeat: liveness, and the samples cpu (%), memory (bytes), memory_percent and load.
    public func heartbeat(_ id: String, pid: Int32, cpuPercent: Double, memoryBytes: Int64, memoryPercent: Double = 0,
                          load: Double = 0, at time: Date = Date()) throws {
        let time = time.timeIntervalSince1970
        try database.write { db in
            try db.execute(
                sql: """
                    UPDATE instances SET lastHeartbeat = ?, agentPID = ?, cpuPercent = ?, memoryBytes = ?
                    WHERE id = ?
                    """,
                arguments: [time, pid, cpuPercent, memoryBytes, id])
            try db.execute(
                sql: """
                    INSERT INTO metrics(instanceID, time, name, value)
                    VALUES (?1, ?2, 'cpu', ?3), (?1, ?2, 'memory', ?4), (?1, ?2, 'memory_percent', ?5), (?1, ?2, 'load', ?6)
                    """,
                arguments: [id, time, cpuPercent, Double(memoryBytes), memoryPercent, load])
        }
    }

    /// The processes an agent started, so they can be found if the agent itself is gone.
    public func recordProcess(instance: String, service: String, pid: Int32?) throws {
        try database.write { db in
            if let pid {
                try db.execute(sql: "INSERT OR REPLACE INTO processes(instanceID, service, pid) VALUES (?, ?, ?)",
                               arguments: [instance, service, pid])
            } else {
                try db.execute(sql: "DELETE FROM processes WHERE instanceID = ? AND service = ?", arguments: [instance, service])
            }
        }
    }

    public func processes(instance: String) throws -> [Int32] {
        try database.read { db in
            try Int32.fetchAll(db, sql: "SELECT pid FROM processes WHERE instanceID = ?", arguments: [instance])
        }
    }

    public func metrics(instance: String, name: String, since: Date) throws -> [(Date, Double)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT time, value FROM metrics WHERE instanceID = ? AND name = ? AND time >= ? ORDER BY time",
                             arguments: [instance, name, since.timeIntervalSince1970])
                .map { (Date(timeIntervalSince1970: $0["time"]), $0["value"]) }
        }
    }

    public func clearProcesses(instance: String) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM processes WHERE instanceID = ?", arguments: [instance]) }
    }

    /// Moves an instance along its lifecycle (online, setup_failed) without touching its agent.
    public func setLifecycle(_ id: String, _ state: Instance.State) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE instances SET state = ? WHERE id = ?", arguments: [state.rawValue, id])
        }
    }


    /// A cluster's records (or everyone's), oldest first.
    func all<Record: FetchableRecord & TableRecord>(_ type: Record.Type, cluster: String?, orderedBy key: String) throws -> [Record] {
        try database.read { db in
            var request = Record.order(Column("createdAt"), Column(key))
            if let cluster { request = request.filter(Column("cluster") == cluster) }
            return try request.fetchAll(db)
        }
    }

    public func volumes(cluster: String? = nil) throws -> [Volume] {
        try all(Volume.self, cluster: cluster, orderedBy: "id")
    }

    public func volume(_ id: String) throws -> Volume? {
        try database.read { db in try Volume.fetchOne(db, key: id) }
    }

    public func save(_ volume: Volume) throws {
        try database.write { db in try volume.save(db) }
    }

    public func deleteVolume(_ id: String) throws {
        try database.write { db in _ = try Volume.deleteOne(db, key: id) }
    }

    public func snapshots(cluster: String? = nil) throws -> [Snapshot] {
        try all(Snapshot.self, cluster: cluster, orderedBy: "id")
    }

    public func snapshot(_ id: String) throws -> Snapshot? {
        try database.read { db in try Snapshot.fetchOne(db, key: id) }
    }

    public func save(_ snapshot: Snapshot) throws {
        try database.write { db in try snapshot.save(db) }
    }

    public func deleteSnapshot(_ id: String) throws {
        try database.write { db in _ = try Snapshot.deleteOne(db, key: id) }
    }

    public func addresses(cluster: String? = nil) throws -> [Address] {
        try all(Address.self, cluster: cluster, orderedBy: "ip")
    }

    public func addresses(of instance: String) throws -> [Address] {
        try database.read { db in try Address.filter(Column("instanceID") == instance).fetchAll(db) }
    }

    public func address(_ ip: String) throws -> Address? {
        try database.read { db in try Address.fetchOne(db, key: ip) }
    }

    /// Allocates the next elastic address of the block starting at 127.`block`.
    public func allocateAddress(cluster: String, block: Int) throws -> Address {
        try database.write { db in
            let address = Address(ip: Self.address(block, try next("elastic-address", in: db)), cluster: cluster)
            try address.insert(db)
            return address
        }
    }

    /// Points the address at `instance` (or nowhere) and keeps the instance's public IP in step.
    public func associate(address ip: String, with instance: String?) throws {
        try database.write { db in
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
        try database.write { db in
            try db.execute(sql: "UPDATE instances SET publicIP = NULL WHERE publicIP = ?", arguments: [ip])
            _ = try Address.deleteOne(db, key: ip)
        }
    }

    /// The next value of a named counter. A new counter starts at a random point, so that two
    /// homes on one machine (two users, parallel tests) do not hand out the same loopback addresses.
    func next(_ counter: String, in db: Database) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO counters(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + 1",
            arguments: [counter, Int64.random(in: 0..<(1 << 19))])
        return try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = ?", arguments: [counter]) ?? 1
    }

    /// The n-th address of a /12 loopback block such as 127.96: never a .0 or .255 host.
    static func address(_ prefix: Int, _ n: Int64) -> String {
        let hosts: Int64 = 254 * 256 * 16
        let i = n % hosts
        return "127.\(prefix + Int(i / (254 * 256))).\(i / 254 % 256).\(i % 254 + 1)"
    }
}
