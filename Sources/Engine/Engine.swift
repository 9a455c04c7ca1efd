import Cloud
import EC2
import Foundation
import LocalCloud
import Store

/// Cluster spec → plan → apply, and the imperative primitives, over a provider and the Store.
/// The CLI and the Lua runtime are its callers; neither talks to a provider directly.
public struct Engine: Sendable {
    public let store: Store
    /// The `recipe` executable, which local instances run as their agent.
    public let executable: String
    public let heartbeat: Double
    public let actor: String
    /// One provider per configuration, so a run reuses its EC2 caches and call counts.
    let providers = ProviderCache()

    public init(store: Store, executable: String, heartbeat: Double = 1, actor: String = Engine.defaultActor) {
        self.store = store
        self.executable = executable
        self.heartbeat = heartbeat
        self.actor = actor
    }

    /// API calls made by this engine's EC2 providers (nil when none was used).
    public var ec2Calls: CallLog? { providers.ec2Calls }

    public static var defaultActor: String {
        "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "root")
    }

    /// The provider a cluster was declared with (local when it was never declared).
    public func provider(for cluster: String) throws -> any CloudProvider {
        guard let record = try store.cluster(cluster) else { return try provider(kind: "local", options: [:]) }
        let options = (try? record.declaration())?.providerOptions ?? [:]
        return try provider(kind: record.provider, options: options)
    }

    public func provider(for spec: ClusterSpec) throws -> any CloudProvider {
        try provider(kind: spec.provider, options: spec.providerOptions)
    }

    public func provider(kind: String, options: [String: String]) throws -> any CloudProvider {
        switch kind {
        case "local":
            return LocalProvider(store: store, executable: executable, heartbeat: heartbeat, actor: actor)
        case "ec2":
            let key = "ec2|" + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "|")
            return try providers.provider(key) {
                let config = try AWSConfig.resolve(AWSConfig.Overrides(
                    region: options["region"], endpoint: options["endpoint"], apiVersion: options["api_version"],
                    profile: options["profile"]))
                return EC2Provider(config: config, calls: providers.sharedEC2Calls)
            }
        default:
            throw CloudError("provider '\(kind)' is not available (known: local, ec2)")
        }
    }

    func record(_ kind: String, cluster: String?, subject: String?, detail: String? = nil, result: String = "ok") {
        _ = try? store.record(Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: detail, result: result))
    }
}

/// Providers by configuration, built once per engine.
final class ProviderCache: @unchecked Sendable {
    private let lock = NSLock()
    private var providers: [String: any CloudProvider] = [:]
    private var instances: [String: Instance] = [:]
    let sharedEC2Calls = CallLog()

    /// Cloud instances listed in this run, so primitives can find their cluster by id.
    func remember(_ list: [Instance]) { lock.withLock { for i in list { instances[i.id] = i } } }
    func seen(_ id: String) -> Instance? { lock.withLock { instances[id] } }

    var ec2Calls: CallLog? { lock.withLock { providers.keys.contains { $0.hasPrefix("ec2|") } ? sharedEC2Calls : nil } }

    func provider(_ key: String, make: () throws -> any CloudProvider) throws -> any CloudProvider {
        try lock.withLock {
            if let existing = providers[key] { return existing }
            let made = try make()
            providers[key] = made
            return made
        }
    }
}
