import Cloud
import Foundation
import GRDB
import Store

/// A row of the local provider's `instances` table: the instance, and what its agent last
/// reported (pid, heartbeat, samples), which no other provider has.
struct LocalInstanceRow: Codable, FetchableRecord, PersistableRecord, EpochDates {
    static var databaseTableName: String { "instances" }

    var id: String
    var cluster: String
    var layer: String
    var name: String
    var state: Instance.State
    var privateIP: String
    var publicIP: String?
    var agentPID: Int32?
    var lastHeartbeat: Date?
    var cpuPercent: Double?
    var memoryBytes: Int64?
    var services: [ServiceSpec]
    var createdAt: Date

    init(_ instance: Instance) {
        id = instance.id
        cluster = instance.cluster
        layer = instance.layer
        name = instance.name
        state = instance.state
        privateIP = instance.privateIP
        publicIP = instance.publicIP
        services = instance.services
        createdAt = instance.createdAt
    }

    var instance: Instance {
        Instance(id: id, cluster: cluster, layer: layer, name: name, state: state, privateIP: privateIP, publicIP: publicIP,
                 services: services, createdAt: createdAt)
    }

    var agent: AgentReport {
        AgentReport(pid: agentPID, lastHeartbeat: lastHeartbeat, cpuPercent: cpuPercent, memoryBytes: memoryBytes,
                    gone: agentPID.map { !ProcessControl.isAlive($0) } ?? false)
    }
}

extension Volume: FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "volumes" }
}

extension Snapshot: FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "snapshots" }
}

extension Address: FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "addresses" }
}

extension LocalInventory {
    /// What each agent of the cluster last reported, by instance id.
    public func agents(cluster: String) throws -> [String: AgentReport] {
        try state.read { sql in
            Dictionary(uniqueKeysWithValues: try sql.fetch(LocalInstanceRow.self, "SELECT * FROM instances WHERE cluster = ?", cluster).map { ($0.id, $0.agent) })
        }
    }

    /// What the instance's agent last reported.
    public func agent(_ id: String) throws -> AgentReport? {
        try state.read { sql in try Self.row(sql, id)?.agent }
    }
}
