import Cloud
import Foundation
import Store

/// The embedded provider: every instance is an agent process on this machine with its own
/// loopback address, root folder and services (DESIGN.md, section 4).
public struct LocalProvider: CloudProvider {
    public var kind: String { "local" }

    public let store: Store
    /// Its own tables: instances with their agents' reports, volumes, snapshots, addresses.
    public let inventory: LocalInventory
    public let paths: LocalPaths
    /// The `recipe` executable that runs agents (`recipe agent --instance ID`).
    public let executable: String
    /// Seconds between agent heartbeats.
    public let heartbeat: Double
    /// Seconds services get between SIGTERM and SIGKILL.
    public let grace: Double
    let actor: String

    public init(store: Store, executable: String, heartbeat: Double = 1, grace: Double = 10, actor: String = "cli") {
        self.store = store
        self.inventory = LocalInventory(store: store)
        self.paths = LocalPaths(home: store.home)
        self.executable = executable
        self.heartbeat = heartbeat
        self.grace = grace
        self.actor = actor
    }

    public func describe(cluster: String) async throws -> Inventory {
        Inventory(
            instances: try inventory.instances(cluster: cluster),
            volumes: try inventory.volumes(cluster: cluster),
            addresses: try inventory.addresses(cluster: cluster))
    }

    public func snapshots(cluster: String) async throws -> [Snapshot] {
        try inventory.snapshots(cluster: cluster)
    }

    /// The agents' heartbeat samples (and what users pushed), which live in the Store.
    public func metrics(cluster: String, instances: [String], name: String, since: Date) async throws -> [MetricSample] {
        try store.metricSamples(instances: instances, name: name, since: since)
            .map { MetricSample(instance: $0.instance, time: $0.time, value: $0.value) }
    }

    func record(_ kind: String, cluster: String?, subject: String?, detail: String? = nil, result: String = "ok") {
        _ = try? store.record(Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: detail, result: result))
    }

    func instance(_ id: String) throws -> Instance {
        guard let instance = try inventory.instance(id) else { throw CloudError("instance \(id) does not exist") }
        return instance
    }

    static func newID(_ prefix: String) -> String {
        prefix + "-" + String(UInt64.random(in: 0..<(1 << 40)), radix: 16).leftPadded(to: 10)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension LocalProvider {
    /// Lost: it should be up, but its agent process is gone (killed, crashed, or never started
    /// because a run was killed between recording and spawning it).
    public func health(_ instance: Instance, agent: AgentReport?) -> String {
        Health.describe(instance.state, agent: agent, heartbeat: heartbeat)
    }

    /// Probed from this machine: every instance's address is a loopback one.
    public func failedChecks(_ checks: [ServiceCheck], on instance: Instance) async -> [String] {
        checks.compactMap { Probe.failure(of: $0, at: instance.privateIP) }
    }

    /// An instance root on a filesystem of its own (mounted there), near full. Roots on the
    /// home's own disk are left to the home's line in `recipe status`.
    public func nearFullDisks(_ instances: [Instance]) async -> [String] {
        let home = DiskSpace.of(store.home.path)?.device
        return instances.compactMap { instance in
            let root = paths.root(of: instance.id).path
            guard let disk = DiskSpace.of(root), disk.device != home, disk.nearFull else { return nil }
            return "\(instance.name) \(root): \(disk.summary)"
        }
    }

    public func isLost(_ instance: Instance, agent: AgentReport?) -> Bool {
        switch instance.state {
        case .stopped, .terminated: return false
        default: return agent?.pid == nil || agent?.gone == true
        }
    }

    /// Each agent's pid, last heartbeat and samples, and whether its process is gone.
    public func agents(cluster: String) async throws -> [String: AgentReport] {
        try inventory.agents(cluster: cluster)
    }
}

extension LocalProvider {
    public func setStatus(_ ids: [String], _ state: Instance.State) async throws {
        for id in ids { try inventory.setLifecycle(id, state) }
    }

    /// Users and their keys are recorded in the Store by the engine; local instances take no logins.
    public func applyKeys(cluster: String, keys: [String: String]) async throws {}

    public func createImage(of instance: String, name: String) async throws -> String {
        throw CloudError("images are made on EC2; locally, snapshot the instance's volumes instead")
    }

    /// Recorded in the Store by the engine; loopback instances share the machine, nothing enforces it here.
    public func applyFirewall(cluster: String, rules: [FirewallRule]) async throws {}
}
