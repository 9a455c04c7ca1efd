import Cloud

/// The lifecycle hooks a layer (or the whole cluster) may declare, in OpsWorks' terms, plus two
/// for load balancers: `drain` takes another instance out of rotation before it stops or restarts,
/// `ready` puts it back once it answers its health check.
public enum HookKind: String, CaseIterable, Sendable {
    case setup, configure, deploy, undeploy, shutdown, drain, ready
}

/// What a hook is told.
public struct HookEvent: Sendable {
    public var cluster: String
    public var layer: String
    public var instance: Instance
    /// Why it runs: launched, started, membership, terminating, ...
    public var reason: String
    /// The app, for deploy and undeploy.
    public var app: String?
    /// The instance a drain or ready hook is about (the hook runs on the balancer).
    public var target: Instance?

    public init(cluster: String, layer: String, instance: Instance, reason: String, app: String? = nil,
                target: Instance? = nil) {
        self.cluster = cluster
        self.layer = layer
        self.instance = instance
        self.reason = reason
        self.app = app
        self.target = target
    }
}

/// Runs the recipe's hooks. The engine decides when; the recipe runtime knows the functions.
public protocol LifecycleHooks: Sendable {
    /// Whether any hook of `kind` applies to the layer (so runs of nothing are not recorded).
    func declares(_ kind: HookKind, layer: String) -> Bool

    /// Runs the layer's hook of `kind` and every cluster-wide one, each within `timeLimit`
    /// seconds; throws the first failure, its message naming the recipe line.
    func run(_ kind: HookKind, _ event: HookEvent, timeLimit: Double) async throws
}

extension LifecycleHooks {
    func declares(_ kind: HookKind, anyLayerOf layers: [String]) -> Bool {
        layers.contains { declares(kind, layer: $0) }
    }
}

/// Limits of one apply.
public struct ApplyOptions: Sendable {
    /// How many instances are worked on at once (as Terraform's -parallelism).
    public var parallelism: Int
    /// Seconds a shutdown hook gets before the instance is stopped anyway.
    public var shutdownTimeout: Double
    /// Seconds every other hook gets.
    public var hookTimeLimit: Double
    /// Seconds the cluster gets, once configured, to answer its services' checks before the
    /// apply fails naming what did not answer.
    public var serveTimeout: Double

    public init(parallelism: Int = 10, shutdownTimeout: Double = 30, hookTimeLimit: Double = 10, serveTimeout: Double = 30) {
        self.parallelism = max(1, parallelism)
        self.shutdownTimeout = shutdownTimeout
        self.hookTimeLimit = hookTimeLimit
        self.serveTimeout = serveTimeout
    }
}

/// Runs `body` for each item, at most `limit` at a time; the first error is thrown once all ended.
func forEachConcurrently<T: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = items.makeIterator()
        for _ in 0..<min(limit, items.count) {
            if let item = next.next() { group.addTask { try await body(item) } }
        }
        var firstError: (any Error)?
        while let result = await group.nextResult() {
            if case .failure(let error) = result, firstError == nil { firstError = error }
            if let item = next.next() { group.addTask { try await body(item) } }
        }
        if let firstError { throw firstError }
    }
}
