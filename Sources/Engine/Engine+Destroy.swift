import Cloud
import Foundation
import Store

extension Engine {
    /// Removes every instance, volume and address of the cluster, then forgets its declaration.
    /// Snapshots stay: they are backups.
    public func destroy(cluster: String) async throws -> Inventory {
        let provider = try provider(for: cluster)
        let inventory = try await provider.describe(cluster: cluster)
        if !inventory.instances.isEmpty { try await provider.terminate(inventory.instances.map(\.id)) }
        try await provider.applyFirewall(cluster: cluster, rules: [])
        try await provider.applyKeys(cluster: cluster, keys: [:])
        for volume in inventory.volumes { try await provider.deleteVolume(volume.id) }
        for address in inventory.addresses { try await provider.releaseAddress(address.ip) }
        try store.deleteCluster(cluster)
        record("cluster.destroyed", cluster: cluster, subject: cluster,
               detail: "\(inventory.instances.count) instances, \(inventory.volumes.count) volumes, \(inventory.addresses.count) addresses")
        return inventory
    }
}
