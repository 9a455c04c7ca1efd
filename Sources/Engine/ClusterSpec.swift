import Cloud

/// A cluster as a recipe declares it.
public struct ClusterSpec: Codable, Sendable, Equatable {
    public var name: String
    public var provider: String
    public var layers: [LayerSpec]

    public init(name: String, provider: String = "local", layers: [LayerSpec]) {
        self.name = name
        self.provider = provider
        self.layers = layers
    }
}

/// One layer: how many instances, and what each carries.
public struct LayerSpec: Codable, Sendable, Equatable {
    public var name: String
    public var count: Int
    public var volumes: [VolumeSpec]
    public var elasticIP: Bool
    public var services: [ServiceSpec]

    public init(name: String, count: Int, volumes: [VolumeSpec] = [], elasticIP: Bool = false, services: [ServiceSpec] = []) {
        self.name = name
        self.count = count
        self.volumes = volumes
        self.elasticIP = elasticIP
        self.services = services
    }

    /// Instance names are stable slots: `web-1`, `web-2`, ...
    public func instanceName(_ index: Int) -> String { "\(name)-\(index)" }
}

/// A volume every instance of a layer gets, mounted inside its root.
public struct VolumeSpec: Codable, Sendable, Equatable {
    public var name: String
    public var sizeGB: Int
    public var mount: String

    public init(name: String, sizeGB: Int, mount: String) {
        self.name = name
        self.sizeGB = sizeGB
        self.mount = mount
    }

    /// The volume's name in the inventory ties it to an instance slot, so it outlives instances.
    public func volumeName(for instance: String) -> String { "\(instance):\(name)" }
}
