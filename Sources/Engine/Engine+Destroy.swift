import Cloud
import Foundation
import Store

/// What `destroy` removed, and the snapshots it kept (backups) or deleted when told to.
public struct DestroyReport: Sendable {
    public var inventory: Inventory
    public var keptSnapshots: [Snapshot]
    public var deletedSnapshots: [Snapshot]
}

extension Engine {
    /// Removes every instance, volume and address of the cluster, then forgets its declaration.
    /// Snapshots stay (they are backups) unless `deleteSnapshots`; they are listed first, while
    /// the cluster's record still names its provider.
    public func destroy(cluster: String, deleteSnapshots: Bool = false) async throws -> DestroyReport {
        let lock = try await hold(cluster)
        defer { lock.release() }
        let provider = try provider(for: cluster)
        let inventory = try await provider.describe(cluster: cluster)
        let snapshots = try await listSnapshots(cluster: cluster)
        if !inventory.instances.isEmpty {
            progress.step(cluster, nil, "terminating \(inventory.instances.map(\.name).sorted().joined(separator: ", "))")
            try await provider.terminate(inventory.instances.map(\.id))
        }
        try await provider.applyFirewall(cluster: cluster, rules: [])
        try await provider.applyKeys(cluster: cluster, keys: [:])
        for volume in inventory.volumes {
            progress.step(cluster, nil, "deleting volume " + (volume.name.isEmpty ? volume.id : "\(volume.name) (\(volume.id))"))
            try await provider.deleteVolume(volume.id)
        }
        for address in inventory.addresses {
            progress.step(cluster, nil, "releasing address \(address.ip)")
            try await provider.releaseAddress(address.ip)
        }
        if deleteSnapshots {
            for snapshot in snapshots {
                progress.step(cluster, nil, "deleting snapshot \(snapshot.id)")
                try await provider.deleteSnapshot(snapshot.id)
            }
        }
        try await provider.forget(cluster: cluster)
        try store.deleteCluster(cluster)
        record("cluster.destroyed", cluster: cluster, subject: cluster,
               detail: "\(inventory.instances.count) instances, \(inventory.volumes.count) volumes, \(inventory.addresses.count) addresses, "
                   + "\(snapshots.count) snapshots \(deleteSnapshots ? "deleted" : "kept")")
        return DestroyReport(inventory: inventory, keptSnapshots: deleteSnapshots ? [] : snapshots,
                             deletedSnapshots: deleteSnapshots ? snapshots : [])
    }
}
