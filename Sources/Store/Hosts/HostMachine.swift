import Cloud
import Foundation
import GRDB

/// A machine of the hosts provider that serves, or is set aside to serve, an instance: a host of
/// the recipe's pool while it runs one, or a host `recipe register` brought for a layer.
public struct HostMachine: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "hostMachines" }
    /// Its `ssh://` URL, as `HostAddress` prints it.
    public var address: String
    public var cluster: String
    public var layer: String
    public var instanceID: String?
    public var name: String?
    /// The private key ssh uses for it (nil: the pool's, or ssh's own default).
    public var identity: String?
    /// Brought by `recipe register`: set aside for its layer (its instance ended or not) until the
    /// cluster is destroyed.
    public var registered: Bool
    public var state: String
    public var createdAt: Date

    public init(address: String, cluster: String, layer: String, instanceID: String? = nil, name: String? = nil,
                identity: String? = nil, registered: Bool, state: String = "free", createdAt: Date = Date()) {
        (self.address, self.cluster, self.layer, self.instanceID, self.name) = (address, cluster, layer, instanceID, name)
        (self.identity, self.registered, self.state, self.createdAt) = (identity, registered, state, createdAt)
    }
}

/// A volume of the hosts provider: a folder on the host of the instance it was first attached to.
public struct HostVolume: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "hostVolumes" }
    public var id: String
    public var cluster: String
    public var name: String
    public var sizeGB: Int
    /// The host whose folder holds it, once it was attached.
    public var address: String?
    public var instanceID: String?
    public var mount: String?
    public var createdAt: Date

    public init(id: String, cluster: String, name: String, sizeGB: Int, address: String? = nil, instanceID: String? = nil,
                mount: String? = nil, createdAt: Date = Date()) {
        (self.id, self.cluster, self.name, self.sizeGB, self.address) = (id, cluster, name, sizeGB, address)
        (self.instanceID, self.mount, self.createdAt) = (instanceID, mount, createdAt)
    }

    public var volume: Volume {
        Volume(id: id, cluster: cluster, name: name, sizeGB: sizeGB, instanceID: instanceID, mount: mount, createdAt: createdAt)
    }
}
