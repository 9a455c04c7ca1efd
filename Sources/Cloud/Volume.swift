import Foundation

/// A disk that outlives instances; attached to at most one instance at a time.
public struct Volume: Codable, Sendable, Equatable {
    public var id: String
    public var cluster: String
    /// The declared name within its layer (`data`), or empty for a volume made by hand.
    public var name: String
    public var sizeGB: Int
    public var instanceID: String?
    public var mount: String?
    public var snapshotID: String?
    public var createdAt: Date

    public init(
        id: String, cluster: String, name: String, sizeGB: Int, instanceID: String? = nil, mount: String? = nil,
        snapshotID: String? = nil, createdAt: Date = Date()
    ) {
        self.id = id
        self.cluster = cluster
        self.name = name
        self.sizeGB = sizeGB
        self.instanceID = instanceID
        self.mount = mount
        self.snapshotID = snapshotID
        self.createdAt = createdAt
    }
}

/// A point-in-time copy of a volume.
public struct Snapshot: Codable, Sendable, Equatable {
    public var id: String
    public var cluster: String
    public var volumeID: String
    public var sizeGB: Int
    public var sha256: String
    public var bytes: Int64
    public var createdAt: Date

    public init(id: String, cluster: String, volumeID: String, sizeGB: Int, sha256: String, bytes: Int64, createdAt: Date = Date()) {
        self.id = id
        self.cluster = cluster
        self.volumeID = volumeID
        self.sizeGB = sizeGB
        self.sha256 = sha256
        self.bytes = bytes
        self.createdAt = createdAt
    }
}

/// An address that can move between instances (an elastic IP).
public struct Address: Codable, Sendable, Equatable {
    public var ip: String
    public var cluster: String
    public var instanceID: String?
    /// The cloud's handle for it (EC2's eipalloc-…), when it has one.
    public var allocationID: String?
    public var createdAt: Date

    public init(ip: String, cluster: String, instanceID: String? = nil, allocationID: String? = nil, createdAt: Date = Date()) {
        self.ip = ip
        self.cluster = cluster
        self.instanceID = instanceID
        self.allocationID = allocationID
        self.createdAt = createdAt
    }
}

/// Everything a provider holds for one cluster, read in one go.
public struct Inventory: Sendable, Equatable {
    public var instances: [Instance]
    public var volumes: [Volume]
    public var addresses: [Address]
    /// The firewall as the cloud enforces it; nil where the provider only records it (the Store holds it).
    public var firewall: [FirewallRule]?

    public init(instances: [Instance] = [], volumes: [Volume] = [], addresses: [Address] = [],
                firewall: [FirewallRule]? = nil) {
        self.instances = instances
        self.volumes = volumes
        self.addresses = addresses
        self.firewall = firewall
    }
}
