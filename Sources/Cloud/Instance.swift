import Foundation

/// A machine of a cluster: an agent process locally, a VM on EC2.
public struct Instance: Codable, Sendable, Equatable {
    /// OpsWorks' statuses: running means the machine is up; online means set up and serving.
    public enum State: String, Codable, Sendable {
        case pending, running, online, setupFailed = "setup_failed", stopping, stopped, terminated

        /// The machine is up (its agent runs), whatever its lifecycle step.
        public var isUp: Bool { self == .running || self == .online || self == .setupFailed }
    }

    public var id: String
    public var cluster: String
    public var layer: String
    /// Stable name within the cluster, `LAYER-N`.
    public var name: String
    public var state: State
    public var privateIP: String
    public var publicIP: String?
    public var services: [ServiceSpec]
    public var createdAt: Date

    public init(
        id: String, cluster: String, layer: String, name: String, state: State, privateIP: String,
        publicIP: String? = nil, services: [ServiceSpec] = [],
        createdAt: Date = Date()
    ) {
        self.id = id
        self.cluster = cluster
        self.layer = layer
        self.name = name
        self.state = state
        self.privateIP = privateIP
        self.publicIP = publicIP
        self.services = services
        self.createdAt = createdAt
    }
}

/// A long-running process an instance keeps up, restarted when it dies.
public struct ServiceSpec: Codable, Sendable, Equatable {
    public var name: String
    public var command: String
    public var port: Int?
    /// A path the service answers over HTTP on its port (a balancer's frontend): it serves while
    /// the answer is not a server error, so a balancer with no backend left (503) does not.
    public var health: String?
    /// Variables set for it; a value may refer to secrets, put in only as the service starts.
    public var env: [String: String]?

    public init(name: String, command: String, port: Int? = nil, health: String? = nil, env: [String: String]? = nil) {
        self.name = name
        self.command = command
        self.port = port
        self.health = health
        self.env = env
    }
}

/// What to launch: one instance of a layer.
public struct InstanceSpec: Sendable, Equatable {
    public var cluster: String
    public var layer: String
    public var name: String
    public var services: [ServiceSpec]
    public var instanceType: String?
    public var image: String?
    /// Disks created with the instance (EC2 block devices); the local provider attaches volumes after.
    public var disks: [DiskSpec]
    /// Seconds between its agent's heartbeats, where the agent is remote (nil: the provider's default).
    public var heartbeat: Double?

    public init(cluster: String, layer: String, name: String, services: [ServiceSpec] = [], instanceType: String? = nil,
                image: String? = nil, disks: [DiskSpec] = [], heartbeat: Double? = nil) {
        self.heartbeat = heartbeat
        self.cluster = cluster
        self.layer = layer
        self.name = name
        self.services = services
        self.instanceType = instanceType
        self.image = image
        self.disks = disks
    }
}

/// A data disk made with an instance.
public struct DiskSpec: Sendable, Equatable {
    public var name: String
    public var sizeGB: Int
    public var mount: String
    public var snapshot: String?

    public init(name: String, sizeGB: Int, mount: String, snapshot: String? = nil) {
        self.name = name
        self.sizeGB = sizeGB
        self.mount = mount
        self.snapshot = snapshot
    }
}
