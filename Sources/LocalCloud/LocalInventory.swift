import Cloud
import Foundation
import Store

/// The local provider's own inventory: its instances (with what their agents report), volumes,
/// snapshots and addresses, in tables of the home's state database that only this target reads
/// and writes. The Store keeps what every provider shares; nothing else reads these rows.
public struct LocalInventory: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    var state: any StateDatabase { store.state }

    public func instances(cluster: String? = nil) throws -> [Instance] {
        try state.read { sql in
            let filter = cluster == nil ? "" : "WHERE cluster = ? "
            return try sql.fetch(LocalInstanceRow.self, "SELECT * FROM instances \(filter)ORDER BY cluster, layer, createdAt, name",
                                 arguments: cluster.map { [.text($0)] } ?? []).map(\.instance)
        }
    }

    public func instance(_ id: String) throws -> Instance? {
        try state.read { sql in try Self.row(sql, id)?.instance }
    }

    static func row(_ sql: any StateSQL, _ id: String) throws -> LocalInstanceRow? {
        try sql.fetch(LocalInstanceRow.self, "SELECT * FROM instances WHERE id = ?", id).first
    }

    /// A cluster's instance by name (web-2) or id.
    public func instance(cluster: String, named name: String) throws -> Instance? {
        try state.read { sql in
            try sql.fetch(LocalInstanceRow.self, "SELECT * FROM instances WHERE cluster = ? AND (name = ? OR id = ?) ORDER BY id LIMIT 1",
                          cluster, name, name).first?.instance
        }
    }

    /// Inserts a new instance with the next address of the block starting at 127.`block`.
    public func insertInstance(_ make: (String) -> Instance, addressBlock: Int) throws -> Instance {
        try state.write { sql in
            let ip = Self.address(addressBlock, try next("instance-address", in: sql))
            let instance = make(ip)
            try sql.insert(LocalInstanceRow(instance), into: "instances")
            return instance
        }
    }

    public func setState(_ id: String, _ state: Instance.State, agentPID: Int32? = nil) throws {
        try self.state.write { sql in
            try sql.execute("UPDATE instances SET state = ?, agentPID = ? WHERE id = ?", state.rawValue, agentPID.map(Int.init), id)
        }
    }

    public func setAgentPIDIfUnset(_ id: String, _ pid: Int32) throws {
        try state.write { sql in
            try sql.execute("UPDATE instances SET agentPID = ? WHERE id = ? AND agentPID IS NULL", pid, id)
        }
    }

    public func deleteInstance(_ id: String) throws {
        try state.write { sql in
            for table in ["processes", "metrics"] { try sql.execute("DELETE FROM \(table) WHERE instanceID = ?", id) }
            try sql.execute("DELETE FROM instances WHERE id = ?", id)
        }
    }

    /// One agent heartbeat: liveness, and the samples cpu (%), memory (bytes), memory_percent and load.
    public func heartbeat(_ id: String, pid: Int32, cpuPercent: Double, memoryBytes: Int64, memoryPercent: Double = 0,
                          load: Double = 0, at time: Date = Date()) throws {
        let time = time.timeIntervalSince1970
        try state.write { sql in
            try sql.execute("UPDATE instances SET lastHeartbeat = ?, agentPID = ?, cpuPercent = ?, memoryBytes = ? WHERE id = ?",
                            time, pid, cpuPercent, memoryBytes, id)
            try Store.heartbeatSamples(sql, instance: id, time: time, cpuPercent: cpuPercent, memoryBytes: memoryBytes,
                                       memoryPercent: memoryPercent, load: load)
        }
    }

    /// The processes an agent started, so they can be found if the agent itself is gone.
    public func recordProcess(instance: String, service: String, pid: Int32?) throws {
        try state.write { sql in
            if let pid {
                try sql.execute("""
                    INSERT INTO processes(instanceID, service, pid) VALUES (?, ?, ?)
                    ON CONFLICT (instanceID, service) DO UPDATE SET pid = excluded.pid
                    """, instance, service, pid)
            } else {
                try sql.execute("DELETE FROM processes WHERE instanceID = ? AND service = ?", instance, service)
            }
        }
    }

    public func processes(instance: String) throws -> [Int32] {
        try state.read { sql in
            try sql.rows("SELECT pid FROM processes WHERE instanceID = ?", instance).compactMap { $0[0].int64.flatMap { Int32(exactly: $0) } }
        }
    }

    public func metrics(instance: String, name: String, since: Date) throws -> [(Date, Double)] {
        try state.read { sql in
            try sql.rows("SELECT time, value FROM metrics WHERE instanceID = ? AND name = ? AND time >= ? ORDER BY time", instance, name, since)
                .map { (Date(timeIntervalSince1970: $0[0].double ?? 0), $0[1].double ?? 0) }
        }
    }

    public func clearProcesses(instance: String) throws {
        try state.write { sql in try sql.execute("DELETE FROM processes WHERE instanceID = ?", instance) }
    }

    /// Moves an instance along its lifecycle (online, setup_failed) without touching its agent.
    public func setLifecycle(_ id: String, _ state: Instance.State) throws {
        try self.state.write { sql in try sql.execute("UPDATE instances SET state = ? WHERE id = ?", state.rawValue, id) }
    }

    /// A cluster's records (or everyone's) in `table`, oldest first.
    func all<Record: Decodable>(_ type: Record.Type, in table: String, cluster: String?, orderedBy key: String) throws -> [Record] {
        try state.read { sql in
            let filter = cluster == nil ? "" : "WHERE cluster = ? "
            return try sql.fetch(type, "SELECT * FROM \(table) \(filter)ORDER BY createdAt, \(key)", arguments: cluster.map { [.text($0)] } ?? [])
        }
    }

    /// The row of `table` whose `key` is `value`.
    func one<Record: Decodable>(_ type: Record.Type, in table: String, key: String, _ value: String) throws -> Record? {
        try state.read { sql in try sql.fetch(type, "SELECT * FROM \(table) WHERE \(key) = ?", value).first }
    }

    /// Replaces the row of `table` keyed by `key` with `record`, every column (a nil one NULL):
    /// one upsert, so callers saving it at once (PostgreSQL) each replace it, none finds it taken.
    func replace(_ record: some Encodable, in table: String, key: String) throws {
        try state.write { sql in try sql.upsert(record, into: table, key: [key], nulls: true) }
    }

    func delete(from table: String, key: String, _ value: String) throws {
        try state.write { sql in try sql.execute("DELETE FROM \(table) WHERE \(key) = ?", value) }
    }

    public func volumes(cluster: String? = nil) throws -> [Volume] {
        try all(Volume.self, in: "volumes", cluster: cluster, orderedBy: "id")
    }

    public func volume(_ id: String) throws -> Volume? {
        try one(Volume.self, in: "volumes", key: "id", id)
    }

    public func save(_ volume: Volume) throws {
        try replace(volume, in: "volumes", key: "id")
    }

    public func deleteVolume(_ id: String) throws {
        try delete(from: "volumes", key: "id", id)
    }

    public func snapshots(cluster: String? = nil) throws -> [Snapshot] {
        try all(Snapshot.self, in: "snapshots", cluster: cluster, orderedBy: "id")
    }

    public func snapshot(_ id: String) throws -> Snapshot? {
        try one(Snapshot.self, in: "snapshots", key: "id", id)
    }

    public func save(_ snapshot: Snapshot) throws {
        try replace(snapshot, in: "snapshots", key: "id")
    }

    public func deleteSnapshot(_ id: String) throws {
        try delete(from: "snapshots", key: "id", id)
    }

    public func addresses(cluster: String? = nil) throws -> [Address] {
        try all(Address.self, in: "addresses", cluster: cluster, orderedBy: "ip")
    }

    public func addresses(of instance: String) throws -> [Address] {
        try state.read { sql in try sql.fetch(Address.self, "SELECT * FROM addresses WHERE instanceID = ? ORDER BY ip", instance) }
    }

    public func address(_ ip: String) throws -> Address? {
        try one(Address.self, in: "addresses", key: "ip", ip)
    }

    /// Allocates the next elastic address of the block starting at 127.`block`.
    public func allocateAddress(cluster: String, block: Int) throws -> Address {
        try state.write { sql in
            let address = Address(ip: Self.address(block, try next("elastic-address", in: sql)), cluster: cluster)
            try sql.insert(address, into: "addresses")
            return address
        }
    }

    /// Points the address at `instance` (or nowhere) and keeps the instance's public IP in step.
    public func associate(address ip: String, with instance: String?) throws {
        try state.write { sql in
            // the address's row held first (an update that changes nothing), so callers pointing it at
            // once (PostgreSQL) go one after the other, each reading where the one before left it
            try sql.execute("UPDATE addresses SET instanceID = instanceID WHERE ip = ?", ip)
            if let old = try sql.value("SELECT instanceID FROM addresses WHERE ip = ?", ip)?.string {
                try sql.execute("UPDATE instances SET publicIP = NULL WHERE id = ?", old)
            }
            try sql.execute("UPDATE addresses SET instanceID = ? WHERE ip = ?", instance, ip)
            if let instance {
                try sql.execute("UPDATE instances SET publicIP = ? WHERE id = ?", ip, instance)
            }
        }
    }

    public func deleteAddress(_ ip: String) throws {
        try state.write { sql in
            try sql.execute("UPDATE instances SET publicIP = NULL WHERE publicIP = ?", ip)
            try sql.execute("DELETE FROM addresses WHERE ip = ?", ip)
        }
    }

    /// The next value of a named counter. A new counter starts at a random point, so that two
    /// homes on one machine (two users, parallel tests) do not hand out the same loopback addresses.
    func next(_ counter: String, in sql: any StateSQL) throws -> Int64 {
        try sql.rows("""
            INSERT INTO counters(name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value
            """, counter, Int64.random(in: 0..<(1 << 19))).first?[0].int64 ?? 1
    }

    /// The n-th address of a /12 loopback block such as 127.96: never a .0 or .255 host.
    static func address(_ prefix: Int, _ n: Int64) -> String {
        let hosts: Int64 = 254 * 256 * 16
        let i = n % hosts
        return "127.\(prefix + Int(i / (254 * 256))).\(i / 254 % 256).\(i % 254 + 1)"
    }
}
