import Cloud
import Foundation
import Store

/// Finding resources: every read goes through the provider of the cluster that holds them (the
/// provider is the one truth for inventory). A resource given by id alone is looked for in the
/// cluster named as a hint first, then in every recorded cluster.
extension Engine {
    /// The one cluster given, or every recorded one.
    private func clusters(_ one: String?) throws -> [String] {
        try one.map { [$0] } ?? store.clusters().map(\.name)
    }

    /// The clusters to look in: the hint first, then every recorded one.
    private func candidates(_ hint: String?) throws -> [String] {
        let recorded = try store.clusters().map(\.name)
        guard let hint else { return recorded }
        return [hint] + recorded.filter { $0 != hint }
    }

    /// The cluster's instances, volumes, addresses and firewall, in one read of its provider.
    public func inventory(cluster: String) async throws -> Inventory {
        let inventory = try await provider(for: cluster).describe(cluster: cluster)
        remember(inventory.instances)
        return inventory
    }

    /// The instance as its provider reports it now.
    public func instance(_ id: String, cluster hint: String? = nil) async throws -> Instance {
        let remembered = seen.value[id]
        for name in try candidates(hint ?? remembered?.cluster) {
            let instances = try await provider(for: name).describe(cluster: name).instances
            remember(instances)
            if let found = instances.first(where: { $0.id == id || $0.name == id && name == hint }) { return found }
        }
        throw CloudError(remembered == nil ? "instance \(id) does not exist" : "instance \(id) is gone")
    }

    /// The id of an instance given by id or by name (`web-1`, looked up in `hint`, the cluster it
    /// belongs to); an id this engine has seen costs no call.
    public func instanceID(_ idOrName: String, cluster hint: String?) async throws -> String {
        try await owner(of: idOrName, cluster: hint).1.id
    }

    /// The instance's provider and what is known of it, without a call when this engine has seen it.
    func owner(of id: String, cluster hint: String? = nil) async throws -> (any CloudProvider, Instance) {
        let known = seen.value[id]
        let instance: Instance
        if let known { instance = known } else { instance = try await self.instance(id, cluster: hint) }
        return (try provider(for: instance.cluster), instance)
    }

    /// The first resource `pick` finds in a cluster's inventory, with that cluster's name and provider.
    private func find<T>(_ what: String, cluster hint: String?, _ pick: (Inventory) -> T?) async throws
        -> (String, any CloudProvider, T) {
        for name in try candidates(hint) {
            let provider = try provider(for: name)
            if let found = pick(try await provider.describe(cluster: name)) { return (name, provider, found) }
        }
        throw CloudError("\(what) does not exist")
    }

    public func volume(_ id: String, cluster: String? = nil) async throws -> (any CloudProvider, Volume) {
        let (_, provider, volume) = try await find("volume \(id)", cluster: cluster) { $0.volumes.first { $0.id == id } }
        return (provider, volume)
    }

    public func address(_ ip: String, cluster: String? = nil) async throws -> (any CloudProvider, Address) {
        let (_, provider, address) = try await find("address \(ip)", cluster: cluster) { $0.addresses.first { $0.ip == ip } }
        return (provider, address)
    }

    public func snapshot(_ id: String, cluster hint: String? = nil) async throws -> (any CloudProvider, Snapshot) {
        for name in try candidates(hint) {
            let provider = try provider(for: name)
            if let found = try await provider.snapshots(cluster: name).first(where: { $0.id == id }) { return (provider, found) }
        }
        throw CloudError("snapshot \(id) does not exist")
    }

    /// A cluster's instances as its provider sees them; every cluster's without one.
    public func listInstances(cluster: String?, layer: String?) async throws -> [Instance] {
        var all: [Instance] = []
        for name in try clusters(cluster) {
            all += try await provider(for: name).describe(cluster: name).instances
        }
        remember(all)
        return all.filter { layer == nil || $0.layer == layer }
    }

    public func listVolumes(cluster: String?) async throws -> [Volume] {
        var all: [Volume] = []
        for name in try clusters(cluster) {
            all += try await provider(for: name).describe(cluster: name).volumes
        }
        return all
    }

    /// The snapshots of a cluster's volumes (every cluster's without one), oldest first.
    public func listSnapshots(cluster: String?) async throws -> [Snapshot] {
        var all: [Snapshot] = []
        for name in try clusters(cluster) {
            all += try await provider(for: name).snapshots(cluster: name)
        }
        return all.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Samples of a metric for a layer's online instances: the provider's own source (agents'
    /// samples, CloudWatch) and, where that is not the Store, what users and hooks pushed to it.
    public func metricValues(cluster: String, layer: String, name: String, since: Date) async throws -> [Double] {
        let ids = try await listInstances(cluster: cluster, layer: layer).filter { $0.state == .online }.map(\.id)
        guard !ids.isEmpty else { return [] }
        let provider = try provider(for: cluster)
        var values = try await provider.metrics(cluster: cluster, instances: ids, name: name, since: since).map(\.value)
        if capabilities(of: cluster).contains(.ownMetrics) {
            values += try store.metricValues(instances: ids, name: name, since: since)
        }
        return values
    }
}
