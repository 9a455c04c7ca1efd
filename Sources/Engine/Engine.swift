import Cloud
import Foundation
import Store

/// Cluster spec → plan → apply, and the imperative primitives, over the providers of a registry
/// and the Store. The CLI, the Lua runtime and the scheduler are its callers; none of them talks
/// to a provider directly, and the engine names none: the executable registers them.
public struct Engine: Sendable {
    public let store: Store
    public let registry: ProviderRegistry
    public let actor: String
    /// Where long work reports its steps (nowhere by default).
    public let progress: ProgressLines
    /// Instances found in this engine's lifetime, so a primitive given only an id finds its cluster.
    let seen = Locked<[String: Instance]>([:])

    public init(store: Store, registry: ProviderRegistry, actor: String = Engine.defaultActor, progress: ProgressLines = .silent) {
        self.store = store
        self.registry = registry
        self.actor = actor
        self.progress = progress
    }

    /// The local CLI on the home's machine acts as the home's owner (issue 13); the API's callers
    /// are named by their `Identity.actor`.
    public static var defaultActor: String { Identity.owner.actor }

    /// The provider a cluster was declared with (the registry's default when it was never declared).
    public func provider(for cluster: String) throws -> any CloudProvider {
        guard let record = try store.cluster(cluster) else { return try provider(kind: registry.defaultKind, options: [:]) }
        let options = (try? record.declaration())?.providerOptions ?? [:]
        return try provider(kind: record.provider, options: options)
    }

    public func provider(for spec: ClusterSpec) throws -> any CloudProvider {
        try provider(kind: spec.provider, options: spec.providerOptions)
    }

    public func provider(kind: String, options: [String: String]) throws -> any CloudProvider {
        try registry.provider(ProviderRegistry.Request(kind: kind, options: options, actor: actor))
    }

    /// What the cluster's provider can do (none when its kind is not registered).
    public func capabilities(of cluster: String) -> ProviderCapabilities {
        let kind = (try? store.cluster(cluster))??.provider ?? registry.defaultKind
        return registry.capabilities(of: kind) ?? []
    }

    /// What the providers' API calls cost, one line per kind of provider that made calls.
    public var callReports: [String] { Array(Set(registry.providers.compactMap(\.callReport))).sorted() }

    func remember(_ instances: [Instance]) { seen.withLock { for i in instances { $0[i.id] = i } } }

    func record(_ kind: String, cluster: String?, subject: String?, detail: String? = nil, result: String = "ok") {
        _ = try? store.record(Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: detail, result: result))
    }
}
