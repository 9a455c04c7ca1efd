import Cloud

/// A cluster as a recipe declares it.
public struct ClusterSpec: Codable, Sendable, Equatable {
    public var name: String
    public var provider: String
    /// The provider table's settings besides kind: region, endpoint, api_version, profile, subnet, hosts, identity.
    public var providerOptions: [String: String] = [:]
    public var layers: [LayerSpec]
    public var firewall: [FirewallRule]
    public var users: [UserSpec]
    /// The apps layers run (source, ref, start, port, health ...), by name.
    public var apps: [String: AppSpec]
    public var attributes: JSONValue
    /// Scheduled snapshots of layers' volumes, by layer.
    public var backups: [String: BackupSpec] = [:]

    public init(name: String, provider: String = "local", layers: [LayerSpec], firewall: [FirewallRule] = [],
                users: [UserSpec] = [], apps: [String: AppSpec] = [:], attributes: JSONValue = .empty) {
        self.name = name
        self.provider = provider
        self.layers = layers
        self.firewall = firewall
        self.users = users
        self.apps = apps
        self.attributes = attributes
    }

    public func layer(_ name: String) -> LayerSpec? { layers.first { $0.name == name } }
}

extension ClusterSpec {
    private enum CodingKeys: String, CodingKey {
        case name, provider, providerOptions, layers, firewall, users, apps, attributes, backups
    }

    /// Declarations recorded before backups were part of the spec read as having none; apps get
    /// the names they are recorded under.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        provider = try c.decode(String.self, forKey: .provider)
        providerOptions = try c.decode([String: String].self, forKey: .providerOptions)
        layers = try c.decode([LayerSpec].self, forKey: .layers)
        firewall = try c.decode([FirewallRule].self, forKey: .firewall)
        users = try c.decode([UserSpec].self, forKey: .users)
        apps = Dictionary(uniqueKeysWithValues: try c.decode([String: AppSpec].self, forKey: .apps).map { name, app in
            var named = app
            named.name = name
            return (name, named)
        })
        attributes = try c.decode(JSONValue.self, forKey: .attributes)
        backups = try c.decodeIfPresent([String: BackupSpec].self, forKey: .backups) ?? [:]
    }
}

/// One layer: how many instances, and what each carries.
public struct LayerSpec: Codable, Sendable, Equatable {
    /// The counts a layer may have: what a recipe declares, and what `scale` sets.
    public static let counts = 0...10_000

    public var name: String
    public var count: Int
    public var instanceType: String?
    public var image: String?
    public var volumes: [VolumeSpec]
    public var elasticIP: Bool
    public var services: [ServiceSpec]
    public var apps: [String]
    public var attributes: JSONValue
    /// Names of the lifecycle hooks the layer declares (the functions live in the recipe's VM).
    public var hooks: [String]
    /// `heal = true` or `{ after = "3s" }`: seconds without a heartbeat before an instance has
    /// failed and is replaced (nil: not healed).
    public var healAfter: Double?
    /// Thresholds and windows that change the count (nil: a fixed count).
    public var autoscale: AutoscaleSpec?
    /// Seconds between a remote agent's heartbeats (EC2, hosts); three missed and the instance
    /// has failed. Nil: 5 s. Local agents beat every second whatever it says.
    public var heartbeat: Double?

    /// What a remote agent's heartbeat may be set to.
    public static let heartbeats = 1.0...60.0

    public init(name: String, count: Int, instanceType: String? = nil, image: String? = nil, volumes: [VolumeSpec] = [],
                elasticIP: Bool = false, services: [ServiceSpec] = [], apps: [String] = [],
                attributes: JSONValue = .empty, hooks: [String] = []) {
        self.name = name
        self.count = count
        self.instanceType = instanceType
        self.image = image
        self.volumes = volumes
        self.elasticIP = elasticIP
        self.services = services
        self.apps = apps
        self.attributes = attributes
        self.hooks = hooks
    }

    /// Instance names are stable slots: `web-1`, `web-2`, ...
    public func instanceName(_ index: Int) -> String { "\(name)-\(index)" }

    public var instanceNames: [String] { (0..<count).map { instanceName($0 + 1) } }

    /// The layer and number of a slot name (`web-2` → ("web", 2)); nil for a name that is not one.
    public static func slot(of name: String) -> (layer: String, number: Int)? {
        guard let dash = name.lastIndex(of: "-"), dash != name.startIndex else { return nil }
        let digits = name[name.index(after: dash)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let number = Int(digits) else { return nil }
        return (String(name[..<dash]), number)
    }
}

/// A volume every instance of a layer gets, mounted inside its root.
public struct VolumeSpec: Codable, Sendable, Equatable {
    public var name: String
    public var sizeGB: Int
    public var mount: String
    /// Snapshots to build a slot's volume from, by instance name (`web-1` → `snap-…`): clones use it.
    public var snapshots: [String: String]

    public init(name: String, sizeGB: Int, mount: String, snapshots: [String: String] = [:]) {
        self.name = name
        self.sizeGB = sizeGB
        self.mount = mount
        self.snapshots = snapshots
    }

    /// The volume's name in the inventory ties it to an instance slot, so it outlives instances.
    public func volumeName(for instance: String) -> String { "\(instance):\(name)" }
}

/// Someone who may act on the cluster, and how much.
public struct UserSpec: Codable, Sendable, Equatable {
    /// OpsWorks' permission levels.
    public static let roles = ["deny", "show", "deploy", "manage"]

    public var name: String
    public var role: String
    public var sshKey: String?
    public var sudo: Bool

    public init(name: String, role: String, sshKey: String? = nil, sudo: Bool = false) {
        self.name = name
        self.role = role
        self.sshKey = sshKey
        self.sudo = sudo
    }
}
