import Cloud
import Store
import Foundation

/// Clusters on AWS, Eucalyptus or any EC2-compatible endpoint, in the fewest calls: one
/// RunInstances per layer (tags and data disks included), one describe per resource kind.
/// The cloud is the truth: the inventory is always read back from the API.
public final class EC2Provider: CloudProvider, Sendable {
    public var kind: String { "ec2" }

    let client: QueryClient
    let config: AWSConfig
    /// Security groups and address allocations learnt from describe calls, so apply needs no second look.
    let cache = Cache()
    /// Told each instance's and volume's launch, stop, start and end, for whom: accounting's hours.
    let recorder: LifeEvent.Recorder
    let actor: String
    /// The instances' agents, reached through the controller; nil: nothing runs on them.
    let agents: RemoteAgents?
    /// The VPC subnet instances launch into (provider.subnet), and whose VPC holds the groups;
    /// nil: the region's default VPC.
    let subnet: String?

    public init(config: AWSConfig, calls: CallLog = CallLog(), actor: String = "owner", agents: RemoteAgents? = nil,
                subnet: String? = nil, recorder: @escaping LifeEvent.Recorder = { _ in }) {
        self.config = config
        self.subnet = subnet
        self.actor = actor
        self.agents = agents
        self.recorder = recorder
        client = QueryClient(endpoint: config.endpoint, version: config.apiVersion,
                             signer: SigV4(credentials: config.credentials, region: config.region, service: "ec2"), calls: calls)
    }

    public var calls: CallLog { client.calls }

    /// The whole inventory of a cluster: four calls, made at once.
    public func describe(cluster: String) async throws -> Inventory {
        enum Part: Sendable {
            case instances([Found]), volumes([RawVolume]), addresses([Address]), firewall([FirewallRule])
        }
        let parts = try await all([
            { .instances(try await self.describeInstances(cluster: cluster)) },
            { .volumes(try await self.describeVolumes(cluster: cluster)) },
            { .addresses(try await self.describeAddresses(cluster: cluster)) },
            { .firewall(try await self.describeFirewall(cluster: cluster)) },
        ] as [@Sendable () async throws -> Part])
        var inventory = Inventory(firewall: [])
        var found: [Found] = [], raw: [RawVolume] = []
        for part in parts {
            switch part {
            case .instances(let list): found = list
            case .volumes(let list): raw = list
            case .addresses(let list): inventory.addresses = list
            case .firewall(let rules): inventory.firewall = rules
            }
        }
        inventory.instances = found.map(\.instance)
        inventory.volumes = name(raw, by: found)
        return inventory
    }

    /// After a launch only the volumes are read again (one call); instances come from the
    /// launch's own answer, addresses and groups from the inventory read before it.
    public func refresh(_ known: Inventory, cluster: String, launched: [Instance], gone: [String]) async throws -> Inventory {
        var inventory = known
        inventory.instances = known.instances.filter { !gone.contains($0.id) } + launched
        let found = inventory.instances.map { Found(instance: $0, disks: cache.disks($0.id)) }
        inventory.volumes = name(try await describeVolumes(cluster: cluster), by: found)
        return inventory
    }

    /// Running as EC2 says, but its agent went silent for three heartbeats: lost.
    public func isLost(_ instance: Instance, agent: AgentReport?) -> Bool { instance.isLost(byRemoteAgent: agent) }

    /// Up as EC2 reports it, unhealthy when its agent went silent.
    public func health(_ instance: Instance, agent: AgentReport?) -> String { instance.health(byRemoteAgent: agent) }

    public func agents(cluster: String) async throws -> [String: AgentReport] {
        try agents?.reports(cluster: cluster) ?? [:]
    }

    public func writeFile(on instance: String, path: String, contents: String) async throws {
        try await remote(instance, "write \(path)").write(on: known(instance), path: path, contents: contents)
        if let found = cache.instance(instance) {
            report("file.written", cluster: found.cluster, subject: found.name, detail: "\(path), \(contents.utf8.count) bytes")
        }
    }

    public func run(on instance: String, command: String, timeout: Double) async throws -> CommandResult {
        try await remote(instance, "run").run(on: known(instance), command: command, timeout: timeout)
    }

    public func stage(archive: URL, on instance: Instance) async throws -> String {
        try await remote(instance.id, "fetch").stage(archive, on: known(instance.id))
    }

    /// Shipped by each instance's agent to the controller with its heartbeats.
    public func serviceOutput(of instance: Instance, from offsets: [String: Int64], tail: Int) async -> [ServiceOutput] {
        agents?.serviceOutput(of: instance, from: offsets, tail: tail) ?? []
    }

    public func agentsUnreachable() -> String? {
        guard let agents else { return "EC2 instances are reached through their agents, and this command has no state to queue work in" }
        return agents.unreachable("EC2 instances")
    }

    private func remote(_ instance: String, _ what: String) throws -> RemoteAgents {
        guard let agents else {
            throw CloudError("\(what) on \(instance): EC2 instances are reached through their agents, and this command has no state to queue work in")
        }
        return agents
    }

    /// The instance as last described, for the names in messages.
    private func known(_ id: String) -> Instance {
        cache.instance(id) ?? Instance(id: id, cluster: "", layer: "", name: id, state: .running, privateIP: "")
    }

    /// Calls the API, turning its refusal into a message that names what was being done.
    func call(_ action: String, _ params: Params, about subject: String? = nil) async throws -> XMLNode {
        do {
            return try await client.call(action, params.list)
        } catch let error as AWSError {
            throw CloudError(subject.map { "\($0): \(error)" } ?? "\(error)")
        }
    }
}

/// Tag keys on everything the tool makes.
enum Tag {
    static let cluster = "recipe:cluster"
    static let layer = "recipe:layer"
    /// On instances of one RunInstances: the slot numbers, in launch-index order ("1-130").
    static let slots = "recipe:slots"
    /// On instances: their data disks, "name=device=mount;...".
    static let disks = "recipe:disks"
    /// On instances: online or setup_failed once the lifecycle ran.
    static let status = "recipe:status"
    /// On volumes made apart from an instance, or kept after it: "slot:name" and mount.
    static let volume = "recipe:volume"
    static let mount = "recipe:mount"
}

/// Query parameters in EC2's flattened form (Filter.1.Name, Tag.2.Value ...).
struct Params {
    var list: [(String, String)] = []

    mutating func add(_ key: String, _ value: String) { list.append((key, value)) }

    mutating func add(_ key: String, _ values: [String]) {
        for (i, v) in values.enumerated() { add("\(key).\(i + 1)", v) }
    }

    mutating func filters(_ filters: [(String, [String])]) {
        for (i, (name, values)) in filters.enumerated() {
            add("Filter.\(i + 1).Name", name)
            add("Filter.\(i + 1).Value", values)
        }
    }

    /// TagSpecification.N for each resource type, with the same tags.
    mutating func tagSpecifications(_ types: [String], _ tags: [(String, String)]) {
        for (i, type) in types.enumerated() {
            add("TagSpecification.\(i + 1).ResourceType", type)
            for (j, (key, value)) in tags.enumerated() {
                add("TagSpecification.\(i + 1).Tag.\(j + 1).Key", key)
                add("TagSpecification.\(i + 1).Tag.\(j + 1).Value", value)
            }
        }
    }
}

/// What describe calls learnt, for the calls that follow.
final class Cache: Sendable {
    private struct Learnt {
        var groups: [String: String] = [:]        // "cluster/layer" → sg-…
        var allocations: [String: String] = [:]   // public ip → eipalloc-…
        var diskMaps: [String: [String: (String, String)]] = [:]  // instance → device → (disk, mount)
        var clusters: [String: String] = [:]      // instance → its cluster
        var instances: [String: Instance] = [:]   // instance → as last seen
    }
    private let learnt = Locked(Learnt())

    func group(_ cluster: String, _ layer: String) -> String? { learnt.withLock { $0.groups["\(cluster)/\(layer)"] } }
    func setGroup(_ cluster: String, _ layer: String, _ id: String?) { learnt.withLock { $0.groups["\(cluster)/\(layer)"] = id } }
    func disks(_ instance: String) -> [String: (String, String)] { learnt.withLock { $0.diskMaps[instance] ?? [:] } }
    /// An instance seen in a describe or a launch: its disks and its cluster.
    func learn(_ instance: Instance, disks map: [String: (String, String)]) {
        learnt.withLock {
            $0.diskMaps[instance.id] = map
            $0.clusters[instance.id] = instance.cluster
            $0.instances[instance.id] = instance
        }
    }
    func cluster(of instance: String) -> String? { learnt.withLock { $0.clusters[instance] } }
    func instance(_ id: String) -> Instance? { learnt.withLock { $0.instances[id] } }
    func allocation(_ ip: String) -> String? { learnt.withLock { $0.allocations[ip] } }
    func setAllocation(_ ip: String, _ id: String?) { learnt.withLock { $0.allocations[ip] = id } }
}

/// "1-3,7" ⇄ [1, 2, 3, 7]: slot numbers fit in one tag value (256 characters) this way.
enum SlotRanges {
    static func format(_ slots: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < slots.count {
            var j = i
            while j + 1 < slots.count && slots[j + 1] == slots[j] + 1 { j += 1 }
            parts.append(i == j ? "\(slots[i])" : "\(slots[i])-\(slots[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    static func parse(_ text: String) -> [Int] {
        text.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2, bounds[0] <= bounds[1] { return Array(bounds[0]...bounds[1]) }
            return bounds.count == 1 ? bounds : []
        }
    }
}
