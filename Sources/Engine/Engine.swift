import Cloud
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

    public init(store: Store, executable: String, heartbeat: Double = 1, actor: String = Engine.defaultActor) {
        self.store = store
        self.executable = executable
        self.heartbeat = heartbeat
        self.actor = actor
    }

    public static var defaultActor: String {
        "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "root")
    }

    /// The provider a cluster was declared with (local when it was never declared).
    public func provider(for cluster: String) throws -> any CloudProvider {
        try provider(kind: try store.cluster(cluster)?.provider ?? "local")
    }

    public func provider(kind: String) throws -> any CloudProvider {
        switch kind {
        case "local":
            return LocalProvider(store: store, executable: executable, heartbeat: heartbeat, actor: actor)
        default:
            throw CloudError("provider '\(kind)' is not available (known: local)")
        }
    }

    func record(_ kind: String, cluster: String?, subject: String?, detail: String? = nil, result: String = "ok") {
        _ = try? store.record(Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: detail, result: result))
    }
}
