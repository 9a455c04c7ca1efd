import Cloud
import Foundation
import Store

/// `recipe status --json`: one entry per cluster.
public struct ClusterStatus: Codable, Sendable {
    public struct InstanceStatus: Codable, Sendable {
        public var id, name, layer, state: String
        public var private_ip: String
        public var public_ip: String?
        public var health: String
        public var last_heartbeat: String?
        public var agent_pid: Int32?
        public var cpu_percent: Double?
        public var memory_bytes: Int64?
        /// `http://ADDRESS:PORT/` of each service with a port: how to reach it.
        public var urls: [String]

        /// Absent values are written as null: every documented key is always there.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(layer, forKey: .layer)
            try c.encode(state, forKey: .state)
            try c.encode(private_ip, forKey: .private_ip)
            try c.encode(public_ip, forKey: .public_ip)
            try c.encode(health, forKey: .health)
            try c.encode(last_heartbeat, forKey: .last_heartbeat)
            try c.encode(agent_pid, forKey: .agent_pid)
            try c.encode(cpu_percent, forKey: .cpu_percent)
            try c.encode(memory_bytes, forKey: .memory_bytes)
            try c.encode(urls, forKey: .urls)
        }
    }

    public struct VolumeStatus: Codable, Sendable {
        public var id, name: String
        public var size_gb: Int
        public var instance_id: String?
        public var mount: String?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(size_gb, forKey: .size_gb)
            try c.encode(instance_id, forKey: .instance_id)
            try c.encode(mount, forKey: .mount)
        }
    }

    public struct AddressStatus: Codable, Sendable {
        public var ip: String
        public var instance_id: String?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(ip, forKey: .ip)
            try c.encode(instance_id, forKey: .instance_id)
        }
    }

    public var name: String
    public var provider: String
    public var instances: [InstanceStatus]
    public var volumes: [VolumeStatus]
    public var addresses: [AddressStatus]
    /// Rollouts that were interrupted and what each instance runs (empty when none is).
    public var deploys: [UnfinishedDeploy] = []
    /// Instances whose own disk is near full, with how full (`web-1 /path: 97% full (2 MB free)`).
    public var disks: [String]
}

extension Engine {
    public func status(cluster: String?) async throws -> [ClusterStatus] {
        let names = try cluster.map { [$0] } ?? store.clusters().map(\.name)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var result: [ClusterStatus] = []
        for name in names {
            let record = try store.cluster(name)
            let provider = try provider(for: name)
            let inventory = try await provider.describe(cluster: name)
            let agents = try await provider.agents(cluster: name)
            if record == nil && inventory.instances.isEmpty && inventory.volumes.isEmpty && inventory.addresses.isEmpty {
                throw CloudError("no cluster named \(name)")
            }
            let checks = (try? record?.declaration()).flatMap { try? serviceChecks($0) } ?? [:]
            var instances: [ClusterStatus.InstanceStatus] = []
            for i in inventory.instances {
                let agent = agents[i.id]
                let health = await health(of: i, agent: agent, checks: checks[i.layer] ?? [], provider: provider)
                instances.append(.init(id: i.id, name: i.name, layer: i.layer, state: i.state.rawValue, private_ip: i.privateIP,
                                       public_ip: i.publicIP, health: health,
                                       last_heartbeat: agent?.lastHeartbeat.map(iso.string), agent_pid: agent?.pid,
                                       cpu_percent: agent?.cpuPercent, memory_bytes: agent?.memoryBytes,
                                       urls: i.services.compactMap(\.port).map { "http://\(i.privateIP):\($0)/" }))
            }
            result.append(ClusterStatus(
                name: name,
                provider: record?.provider ?? registry.defaultKind,
                instances: instances,
                volumes: inventory.volumes.map {
                    .init(id: $0.id, name: $0.name, size_gb: $0.sizeGB, instance_id: $0.instanceID, mount: $0.mount)
                },
                addresses: inventory.addresses.map { .init(ip: $0.ip, instance_id: $0.instanceID) },
                deploys: try await unfinishedDeploys(cluster: name),
                disks: await provider.nearFullDisks(inventory.instances)))
        }
        return result
    }
}
