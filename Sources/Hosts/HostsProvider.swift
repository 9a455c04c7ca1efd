import Cloud
import Foundation
import Store

/// Machines you already have, reached over SSH: `provider = { kind = "hosts", hosts = { "ssh://root@10.0.0.5", ... } }`
/// and `recipe register CLUSTER LAYER ssh://user@host`. A launch takes the next free host (one
/// registered for the layer first), copies the agent there with the system's OpenSSH client and
/// starts it with a one-time bootstrap secret; from then on the host is reached as EC2 instances
/// are, through its agent and the controller. A terminate stops the agent and removes what the
/// tool put there. Volumes are folders of their host. The Store holds which host serves which instance.
public final class HostsProvider: CloudProvider, Sendable {
    public var kind: String { "hosts" }

    let store: Store
    /// The recipe's hosts, in order: a launch takes the first one that serves nothing.
    let pool: [HostAddress]
    /// The key ssh uses for the pool's hosts (nil: ssh's own default).
    let identity: String?
    let agents: RemoteAgents
    /// The agent binary copied to each host (the one beside `recipe`).
    let agentBinary: URL?
    let actor: String

    public init(store: Store, pool: [HostAddress], identity: String?, agents: RemoteAgents, agentBinary: URL?, actor: String) {
        (self.store, self.pool, self.identity, self.agents, self.agentBinary, self.actor) = (store, pool, identity, agents, agentBinary, actor)
    }

    /// The pool from the recipe's `hosts` option (URLs separated by spaces), each checked.
    public static func pool(_ option: String?) throws -> [HostAddress] {
        try (option ?? "").split(separator: " ").map { try HostAddress(parsing: String($0)) }
    }

    var knownHosts: URL { store.home.appendingPathComponent("hosts/known_hosts") }

    func shell(_ machine: HostMachine) throws -> SecureShell {
        SecureShell(address: try HostAddress(parsing: machine.address), identity: machine.identity ?? identity, knownHosts: knownHosts)
    }

    public func describe(cluster: String) async throws -> Inventory {
        let links = Dictionary(try store.agentLinks(cluster: cluster).map { ($0.instanceID, $0) }) { first, _ in first }
        let instances = try store.hostMachines(cluster: cluster).compactMap { machine -> Instance? in
            guard let id = machine.instanceID, let address = try? HostAddress(parsing: machine.address) else { return nil }
            var state = Instance.State(rawValue: machine.state) ?? .pending
            if state == .pending, links[id]?.registeredAt != nil { state = .running }
            let services = links[id]?.described?.services ?? []
            return Instance(id: id, cluster: cluster, layer: machine.layer, name: machine.name ?? id, state: state,
                            privateIP: address.host, services: services, createdAt: machine.createdAt)
        }
        return Inventory(instances: instances, volumes: try store.hostVolumes(cluster: cluster).map(\.volume))
    }

    public func isLost(_ instance: Instance, agent: AgentReport?) -> Bool { instance.isLost(byRemoteAgent: agent) }

    public func health(_ instance: Instance, agent: AgentReport?) -> String { instance.health(byRemoteAgent: agent) }

    public func agents(cluster: String) async throws -> [String: AgentReport] {
        try agents.reports(cluster: cluster)
    }

    public func agentsUnreachable() -> String? { agents.unreachable("registered hosts") }

    public func setStatus(_ ids: [String], _ state: Instance.State) async throws {
        try store.setHostState(ids, state)
    }

    public func writeFile(on instance: String, path: String, contents: String) async throws {
        try await agents.write(on: known(instance), path: path, contents: contents)
    }

    public func run(on instance: String, command: String, timeout: Double) async throws -> CommandResult {
        try await agents.run(on: known(instance), command: command, timeout: timeout)
    }

    public func stage(archive: URL, on instance: Instance) async throws -> String {
        try await agents.stage(archive, on: instance)
    }

    /// Shipped by each host's agent to the controller with its heartbeats.
    public func serviceOutput(of instance: Instance, from offsets: [String: Int64], tail: Int) async -> [ServiceOutput] {
        agents.serviceOutput(of: instance, from: offsets, tail: tail)
    }

    /// The instance as the Store knows it, for the names in messages.
    func known(_ id: String) throws -> Instance {
        guard let machine = try store.hostMachine(instance: id), let address = try? HostAddress(parsing: machine.address) else {
            throw CloudError("instance \(id) is not on any registered host")
        }
        return Instance(id: id, cluster: machine.cluster, layer: machine.layer, name: machine.name ?? id, state: .running, privateIP: address.host)
    }

    // MARK: what hosts cannot do

    func unsupported(_ what: String) -> CloudError {
        CloudError("the hosts provider cannot \(what): the machines are yours, not a cloud's")
    }

    public func stop(_ ids: [String]) async throws { throw unsupported("stop an instance (terminate it, and launch again)") }
    public func start(_ ids: [String]) async throws { throw unsupported("start a stopped instance") }
    public func allocateAddress(cluster: String) async throws -> Address { throw unsupported("allocate an elastic IP") }
    public func associate(address: String, with instance: String) async throws { throw unsupported("associate an elastic IP") }
    public func releaseAddress(_ ip: String) async throws { throw unsupported("release an elastic IP") }
    public func createImage(of instance: String, name: String) async throws -> String { throw unsupported("make an image of a host") }
    public func snapshot(volume: String, cluster: String) async throws -> Snapshot { throw unsupported("snapshot a folder volume") }
    public func snapshots(cluster: String) async throws -> [Snapshot] { [] }
    public func deleteSnapshot(_ id: String) async throws { throw unsupported("delete a snapshot") }
    /// The firewall is recorded by the Store, not enforced: a host's own firewall is its owner's.
    public func applyFirewall(cluster: String, rules: [FirewallRule]) async throws {}
    /// Keys reach hosts as logins, through their agents (the cluster's users).
    public func applyKeys(cluster: String, keys: [String: String]) async throws {}
    public func keepVolumes(_ volumes: [Volume]) async throws {}

    /// The hosts registered for the destroyed cluster's layers are set aside no more.
    public func forget(cluster: String) async throws {
        try store.forgetHosts(cluster: cluster)
    }
}
