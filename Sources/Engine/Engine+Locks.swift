import Cloud
import Foundation

extension Engine {
    /// Takes the cluster's lock (see `ClusterLocks`): every command that changes a cluster takes
    /// it before it launches, stops or deploys anything, and lets it go with `release()`:
    ///
    ///     let lock = try await hold(cluster)
    ///     defer { lock.release() }
    public func hold(_ cluster: String) async throws -> ClusterLocks.HeldLock {
        try await ClusterLocks.shared.hold(cluster, store: store)
    }
}
