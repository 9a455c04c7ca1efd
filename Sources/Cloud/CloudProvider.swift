import Foundation

/// A place instances run: the local machine, or an EC2-compatible cloud. Batched and async:
/// converge reads once with `describe` and then issues the fewest calls that realise its plan.
public protocol CloudProvider: Sendable {
    var kind: String { get }

    func describe(cluster: String) async throws -> Inventory

    /// The inventory after a launch, from what was known before it (a provider may read less than
    /// a whole describe: EC2 re-reads only volumes).
    func refresh(_ known: Inventory, cluster: String, launched: [Instance], gone: [String]) async throws -> Inventory

    /// Whether the instance was lost behind the tool's back (it should run but does not), given
    /// what its agent last reported (`agents(cluster:)`).
    func isLost(_ instance: Instance, agent: AgentReport?) -> Bool

    /// healthy, unhealthy, pending or stopped, as this provider can tell.
    func health(_ instance: Instance, agent: AgentReport?) -> String

    func launch(_ specs: [InstanceSpec]) async throws -> [Instance]
    func stop(_ ids: [String]) async throws
    func start(_ ids: [String]) async throws
    func terminate(_ ids: [String]) async throws

    func createVolume(cluster: String, name: String, sizeGB: Int, from snapshot: String?) async throws -> Volume
    func attach(volume: String, to instance: String, at mount: String) async throws
    func detach(volume: String) async throws
    func deleteVolume(_ id: String) async throws
    /// A point-in-time copy of the volume, recorded as the cluster's.
    func snapshot(volume: String, cluster: String) async throws -> Snapshot
    /// The cluster's snapshots (apart from `describe`, which converge calls and which needs none of them).
    func snapshots(cluster: String) async throws -> [Snapshot]
    func deleteSnapshot(_ id: String) async throws
    /// Records on each volume the slot and mount it serves, so a replacement finds it once its
    /// instance is gone (a cloud forgets an attachment with its instance).
    func keepVolumes(_ volumes: [Volume]) async throws

    func allocateAddress(cluster: String) async throws -> Address
    func associate(address: String, with instance: String) async throws
    func releaseAddress(_ ip: String) async throws

    /// Records instances' lifecycle status (online, setup_failed) where the provider keeps it.
    func setStatus(_ ids: [String], _ state: Instance.State) async throws

    /// Makes the firewall of the cluster exactly `rules` where the provider enforces it.
    func applyFirewall(cluster: String, rules: [FirewallRule]) async throws

    /// Makes the cluster's imported SSH keys exactly `keys` (key name → public key) where the provider keeps keys.
    func applyKeys(cluster: String, keys: [String: String]) async throws

    /// An image (EC2: an AMI) of the instance's disks; returns its id.
    func createImage(of instance: String, name: String) async throws -> String

    /// Writes a file at an absolute path inside the instance (configuration a hook renders).
    func writeFile(on instance: String, path: String, contents: String) async throws

    /// Puts a release archive of the tool's where the instance can read it; the path to give its
    /// commands (the same path where the instance shares the tool's files, as local instances do).
    func stage(archive: URL, on instance: Instance) async throws -> String
    /// Runs a shell command on the instance and waits for it.
    func run(on instance: String, command: String, timeout: Double) async throws -> CommandResult

    /// Why instances launched now could not be reached by hooks, services and apps, nil when they
    /// can: apply says so before it launches anything (EC2's agents need a controller to pull from).
    func agentsUnreachable() -> String?

    /// Samples of `name` for these instances since `since`, from the provider's own source
    /// (the agents' samples locally, CloudWatch on EC2), oldest first.
    func metrics(cluster: String, instances: [String], name: String, since: Date) async throws -> [MetricSample]

    /// Instances whose status checks fail (EC2's DescribeInstanceStatus "impaired"), id → why.
    func statusChecks(cluster: String, instances: [String]) async throws -> [String: String]

    /// What each instance's agent last reported, by instance id (providers with heartbeats).
    func agents(cluster: String) async throws -> [String: AgentReport]

    /// One look at each check on the instance: why each one that does not answer failed
    /// (`service haproxy: port 8080 not listening`, `app shop: GET /health → 500`), nothing when
    /// all answer. A provider that cannot reach its instances' network checks nothing.
    func failedChecks(_ checks: [ServiceCheck], on instance: Instance) async -> [String]

    /// The cluster is destroyed: what the provider keeps for it beyond its resources goes too
    /// (the hosts registered for its layers).
    func forget(cluster: String) async throws
    /// What the provider's API calls cost so far, for the user (`ec2: 16 API calls ...`); nil when it makes none.
    var callReport: String? { get }

    /// Each of these instances whose disk is near full, with how full (`web-1 /srv: 97% full
    /// (2 MB free)`), for `recipe status`; nothing from a provider that cannot see its disks.
    func nearFullDisks(_ instances: [Instance]) async -> [String]

    /// What the instance's services wrote: each service's log from `offsets[service]` (an `end`
    /// returned before; past the log's size, the log was trimmed and is read from its start), or
    /// its last `tail` bytes for a service not in `offsets`. Nothing from a provider that cannot
    /// read them; remote machines' come from the copy their agents ship to the controller.
    func serviceOutput(of instance: Instance, from offsets: [String: Int64], tail: Int) async -> [ServiceOutput]
}

extension CloudProvider {
    public func metrics(cluster: String, instances: [String], name: String, since: Date) async throws -> [MetricSample] { [] }
    public func statusChecks(cluster: String, instances: [String]) async throws -> [String: String] { [:] }
    public func agents(cluster: String) async throws -> [String: AgentReport] { [:] }
    public func failedChecks(_ checks: [ServiceCheck], on instance: Instance) async -> [String] { [] }
    public var callReport: String? { nil }
    public func stage(archive: URL, on instance: Instance) async throws -> String { archive.path }
    public func forget(cluster: String) async throws {}
    public func agentsUnreachable() -> String? { nil }
    public func nearFullDisks(_ instances: [Instance]) async -> [String] { [] }
    public func serviceOutput(of instance: Instance, from offsets: [String: Int64], tail: Int) async -> [ServiceOutput] { [] }

    public func refresh(_ known: Inventory, cluster: String, launched: [Instance], gone: [String]) async throws -> Inventory {
        try await describe(cluster: cluster)
    }
}
