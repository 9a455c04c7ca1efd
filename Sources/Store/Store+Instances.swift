import Cloud
import Foundation
import GRDB

extension Store {
    public func instances(cluster: String? = nil) throws -> [Instance] {
        try db.read { db in
            var request = Instance.order(Column("cluster"), Column("layer"), Column("createdAt"), Column("name"))
            if let cluster { request = request.filter(Column("cluster") == cluster) }
            return try request.fetchAll(db)
        }
    }

    public func instance(_ id: String) throws -> Instance? {
        try db.read { db in try Instance.fetchOne(db, key: id) }
    }

    /// A cluster's instance by name (web-2) or id.
    public func instance(cluster: String, named name: String) throws -> Instance? {
        try db.read { db in
            try Instance.filter(Column("cluster") == cluster && (Column("name") == name || Column("id") == name)).fetchOne(db)
        }
    }

    /// Inserts a new instance with the next address of the block starting at 127.`block`.
    public func insertInstance(_ make: (String) -> Instance, addressBlock: Int) throws -> Instance {
        try db.write { db in
            let ip = Self.address(addressBlock, try next("instance-address", in: db))
            let instance = make(ip)
            try instance.insert(db)
            return instance
        }
    }

    public func update(_ instance: Instance) throws {
        try db.write { db in try instance.update(db) }
    }

    public func setState(_ id: String, _ state: Instance.State, agentPID: Int32? = nil) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE instances SET state = ?, agentPID = ? WHERE id = ?",
                           arguments: [state.rawValue, agentPID, id])
        }
    }

    public func setAgentPIDIfUnset(_ id: String, _ pid: Int32) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE instances SET agentPID = ? WHERE id = ? AND agentPID IS NULL", arguments: [pid, id])
        }
    }

    public func deleteInstance(_ id: String) throws {
        try db.write { db in
            _ = try Instance.deleteOne(db, key: id)
            try db.execute(sql: "DELETE FROM processes WHERE instanceID = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM metrics WHERE instanceID = ?", arguments: [id])
        }
    }

    /// One agent heartbeat: liveness, and the samples cpu (%), memory (bytes), memory_percent and load.
    public func heartbeat(_ id: String, pid: Int32, cpuPercent: Double, memoryBytes: Int64, memoryPercent: Double = 0,
                          load: Double = 0, at time: Date = Date()) throws {
        let time = time.timeIntervalSince1970
        try db.write { db in
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
        try db.write { db in
            if let pid {
                try db.execute(sql: "INSERT OR REPLACE INTO processes(instanceID, service, pid) VALUES (?, ?, ?)",
                               arguments: [instance, service, pid])
            } else {
                try db.execute(sql: "DELETE FROM processes WHERE instanceID = ? AND service = ?", arguments: [instance, service])
            }
        }
    }

    public func processes(instance: String) throws -> [Int32] {
        try db.read { db in
            try Int32.fetchAll(db, sql: "SELECT pid FROM processes WHERE instanceID = ?", arguments: [instance])
        }
    }

    public func metrics(instance: String, name: String, since: Date) throws -> [(Date, Double)] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT time, value FROM metrics WHERE instanceID = ? AND name = ? AND time >= ? ORDER BY time",
                             arguments: [instance, name, since.timeIntervalSince1970])
                .map { (Date(timeIntervalSince1970: $0["time"]), $0["value"]) }
        }
    }
}

extension Store {
    public func clearProcesses(instance: String) throws {
        try db.write { db in try db.execute(sql: "DELETE FROM processes WHERE instanceID = ?", arguments: [instance]) }
    }
}

extension Store {
    /// Moves an instance along its lifecycle (online, setup_failed) without touching its agent.
    public func setLifecycle(_ id: String, _ state: Instance.State) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE instances SET state = ? WHERE id = ?", arguments: [state.rawValue, id])
        }
    }
}
