import Cloud
import Foundation
import LocalCloud
import Store

/// What one converge did.
public struct ConvergeReport: Sendable {
    public var launched: [Instance] = []
    public var terminated: [String] = []
    /// Instances that were stopped or whose agent had died, started again.
    public var restarted: [String] = []
    public var volumesCreated = 0
    public var volumesAttached = 0
    public var addressesAssociated = 0

    public var changed: Bool {
        !launched.isEmpty || !terminated.isEmpty || !restarted.isEmpty || volumesCreated + volumesAttached + addressesAssociated > 0
    }
}

/// Where the declaration came from, recorded with the cluster.
public struct RecipeSource: Sendable {
    public var path: String
    public var sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }
}

extension Engine {
    /// Brings the cluster to exactly what `spec` declares. Reads the inventory once; running it
    /// again with the same spec changes nothing.
    public func converge(_ spec: ClusterSpec, recipe: RecipeSource? = nil) async throws -> ConvergeReport {
        let provider = try provider(kind: spec.provider)
        if let existing = try store.cluster(spec.name), existing.provider != spec.provider {
            throw CloudError("cluster \(spec.name) runs on provider \(existing.provider), not \(spec.provider); destroy it first")
        }
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        try store.saveCluster(
            ClusterRecord(name: spec.name, provider: spec.provider, recipePath: recipe?.path, recipeHash: recipe?.sha256, spec: json),
            layers: try spec.layers.map {
                LayerRecord(cluster: spec.name, name: $0.name, count: $0.count,
                            spec: String(decoding: try JSONEncoder().encode($0), as: UTF8.self))
            })
        var report = ConvergeReport()
        let inventory = try await provider.describe(cluster: spec.name)
        let declared = Dictionary(uniqueKeysWithValues: spec.layers.map { ($0.name, $0) })

        // Instances beyond the declared counts (or of layers no longer declared) go, highest slot first.
        let wanted = Set(spec.layers.flatMap { layer in (0..<layer.count).map { layer.instanceName($0 + 1) } })
        let extra = inventory.instances.filter { !wanted.contains($0.name) }.sorted { $0.name > $1.name }
        if !extra.isEmpty {
            for address in inventory.addresses where extra.contains(where: { $0.id == address.instanceID }) {
                try await provider.releaseAddress(address.ip)
            }
            try await provider.terminate(extra.map(\.id))
            report.terminated = extra.map(\.name)
        }

        // Missing slots are launched in one batch.
        let present = Set(inventory.instances.map(\.name))
        let missing = spec.layers.flatMap { layer in
            (0..<layer.count).map { layer.instanceName($0 + 1) }.filter { !present.contains($0) }.map {
                InstanceSpec(cluster: spec.name, layer: layer.name, name: $0, services: layer.services)
            }
        }
        if !missing.isEmpty { report.launched = try await provider.launch(missing) }

        // Declared instances run: a stopped one, or one whose agent died, is started again.
        let down = try await provider.describe(cluster: spec.name).instances.filter {
            $0.state == .stopped || Health.of($0, heartbeat: heartbeat) == .unhealthy
        }
        if !down.isEmpty {
            try await provider.start(down.map(\.id))
            report.restarted = down.map(\.name)
        }

        // Every instance carries its layer's volumes and address.
        let current = try await provider.describe(cluster: spec.name)
        for instance in current.instances {
            guard let layer = declared[instance.layer] else { continue }
            for volumeSpec in layer.volumes {
                let name = volumeSpec.volumeName(for: instance.name)
                var volume = current.volumes.first { $0.name == name }
                if volume == nil {
                    volume = try await provider.createVolume(cluster: spec.name, name: name, sizeGB: volumeSpec.sizeGB, from: nil)
                    report.volumesCreated += 1
                }
                if volume!.instanceID != instance.id || volume!.mount != volumeSpec.mount {
                    if volume!.instanceID != nil { try await provider.detach(volume: volume!.id) }
                    try await provider.attach(volume: volume!.id, to: instance.id, at: volumeSpec.mount)
                    report.volumesAttached += 1
                }
            }
            if layer.elasticIP, !current.addresses.contains(where: { $0.instanceID == instance.id }) {
                let address = try await provider.allocateAddress(cluster: spec.name)
                try await provider.associate(address: address.ip, with: instance.id)
                report.addressesAssociated += 1
            }
        }
        record("cluster.converged", cluster: spec.name, subject: spec.name,
               detail: "launched \(report.launched.count), terminated \(report.terminated.count)")
        return report
    }
}
