import Cloud
import Foundation
import Store

/// Where the declaration came from, recorded with the cluster.
public struct RecipeSource: Sendable {
    public var path: String
    public var sha256: String
    /// The run's `name=value` arguments.
    public var arguments: [String: String]

    public init(path: String, sha256: String, arguments: [String: String] = [:]) {
        self.path = path
        self.sha256 = sha256
        self.arguments = arguments
    }

    /// The recipe as `recipe serve` hosts it: its path and its arguments, since one file run
    /// with other arguments (two clones by Recipes/clone.lua) declares other clusters.
    public var hostKey: String {
        Self.hostKey(path: path, arguments: arguments)
    }

    /// `PATH`, or `PATH (from=shop to=shop-staging)`: a key that reads well in serve's log too.
    public static func hostKey(path: String, arguments: [String: String]) -> String {
        guard !arguments.isEmpty else { return path }
        return path + " (" + arguments.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + ")"
    }
}

extension Engine {
    /// Reads the inventory once and computes what converging `spec` would do. Changes nothing.
    public func plan(_ spec: ClusterSpec) async throws -> Plan {
        let provider = try provider(for: spec)
        if let existing = try store.cluster(spec.name), existing.provider != spec.provider {
            throw CloudError("cluster \(spec.name) runs on provider \(existing.provider), not \(spec.provider); destroy it first")
        }
        let inventory = try await provider.describe(cluster: spec.name)
        remember(inventory.instances)
        let agents = try await provider.agents(cluster: spec.name)
        let recorded = try store.cluster(spec.name).flatMap { try? $0.declaration() }
        return Planner(spec: spec, inventory: inventory, recordedApps: recorded?.apps ?? [:],
                       undeployedApps: try store.undeployedApps(cluster: spec.name),
                       unfinished: try await unfinishedDeploys(cluster: spec.name), firewall: try store.firewall(cluster: spec.name),
                       users: try store.users(cluster: spec.name), isLost: { provider.isLost($0, agent: agents[$0.id]) }).plan()
    }

    /// Plans and applies: the cluster ends as `spec` declares, with its hooks run in order.
    /// Running it again with the same spec changes nothing.
    public func converge(_ spec: ClusterSpec, recipe: RecipeSource? = nil, hooks: (any LifecycleHooks)? = nil,
                         options: ApplyOptions = ApplyOptions()) async throws -> ConvergeReport {
        let plan = try await plan(spec)
        return try await apply(plan, spec: spec, recipe: recipe, hooks: hooks, options: options)
    }
}
