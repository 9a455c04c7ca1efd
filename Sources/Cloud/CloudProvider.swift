/// A place instances run: the local machine, or an EC2-compatible cloud. Batched and async:
/// converge reads once with `describe` and then issues the fewest calls that realise its plan.
public protocol CloudProvider: Sendable {
    var kind: String { get }

    func describe(cluster: String) async throws -> Inventory

    /// Whether the instance was lost behind the tool's back (it should run but does not).
    func isLost(_ instance: Instance) -> Bool

    func launch(_ specs: [InstanceSpec]) async throws -> [Instance]
    func stop(_ ids: [String]) async throws
    func start(_ ids: [String]) async throws
    func terminate(_ ids: [String]) async throws

    func createVolume(cluster: String, name: String, sizeGB: Int, from snapshot: String?) async throws -> Volume
    func attach(volume: String, to instance: String, at mount: String) async throws
    func detach(volume: String) async throws
    func deleteVolume(_ id: String) async throws
    func snapshot(volume: String) async throws -> Snapshot

    func allocateAddress(cluster: String) async throws -> Address
    func associate(address: String, with instance: String) async throws
    func releaseAddress(_ ip: String) async throws

    /// Runs a shell command on the instance and waits for it.
    func run(on instance: String, command: String, timeout: Double) async throws -> CommandResult
}

/// A provider's refusal, phrased for the user and naming the resource.
public struct CloudError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
