import Cloud
import Foundation
import Store

/// The imperative primitives recipes and hooks call, each through the cluster's provider.
extension Engine {
    /// The instance and its provider: local instances are in the Store; cloud instances are the
    /// ones this engine has listed (instance.list, a launch) in this run.
    private func providerOf(instance id: String) throws -> (any CloudProvider, Instance) {
        guard let instance = try store.instance(id) ?? providers.seen(id) else { throw CloudError("instance \(id) does not exist") }
        return (try provider(for: instance.cluster), instance)
    }

    /// The instance as its provider sees it now.
    public func instance(_ id: String) async throws -> Instance {
        if let local = try store.instance(id) { return local }
        guard let seen = providers.seen(id) else { throw CloudError("instance \(id) does not exist") }
        guard let now = try await listInstances(cluster: seen.cluster, layer: nil).first(where: { $0.id == id }) else {
            throw CloudError("instance \(id) is gone")
        }
        return now
    }

    private func layers(of cluster: String) throws -> [String] {
        try store.layers(cluster: cluster).map(\.name)
    }

    /// Launches one instance; without a name it takes the layer's next free slot.
    public func launch(cluster: String, layer: String, name: String?, services: [ServiceSpec], image: String? = nil,
                       instanceType: String? = nil) async throws -> Instance {
        let provider = try provider(for: cluster)
        let taken = Set(try await listInstances(cluster: cluster, layer: nil).map(\.name))
        if let name, taken.contains(name) { throw CloudError("cluster \(cluster) already has an instance named \(name)") }
        let slot = name ?? (1...).lazy.map { "\(layer)-\($0)" }.first { !taken.contains($0) }!
        let launched = try await provider.launch([InstanceSpec(cluster: cluster, layer: layer, name: slot, services: services,
                                                               instanceType: instanceType, image: image)])
        providers.remember(launched)
        return launched[0]
    }

    public func instances(cluster: String?, layer: String?) throws -> [Instance] {
        try store.instances(cluster: cluster).filter { layer == nil || $0.layer == layer }
    }

    /// A cluster's instances as its provider sees them (the cloud is the truth on EC2).
    public func listInstances(cluster: String?, layer: String?) async throws -> [Instance] {
        guard let cluster else { return try instances(cluster: nil, layer: layer) }
        let all = try await provider(for: cluster).describe(cluster: cluster).instances
        providers.remember(all)
        return all.filter { layer == nil || $0.layer == layer }
    }

    public func listVolumes(cluster: String?) async throws -> [Volume] {
        guard let cluster else { return try store.volumes(cluster: nil) }
        return try await provider(for: cluster).describe(cluster: cluster).volumes
    }

    public func stop(instance id: String, hooks: (any LifecycleHooks)? = nil, options: ApplyOptions = ApplyOptions()) async throws {
        try await leave(id, reason: "stopping", hooks: hooks, options: options) { try await $0.stop([id]) }
    }

    public func start(instance id: String) async throws {
        try await providerOf(instance: id).0.start([id])
    }

    public func terminate(instance id: String, hooks: (any LifecycleHooks)? = nil, options: ApplyOptions = ApplyOptions()) async throws {
        try await leave(id, reason: "terminating", hooks: hooks, options: options) { try await $0.terminate([id]) }
    }

    /// Shutdown hook (within its timeout), the stop or terminate itself, then configure on every
    /// instance still online.
    private func leave(_ id: String, reason: String, hooks: (any LifecycleHooks)?, options: ApplyOptions,
                       _ action: (any CloudProvider) async throws -> Void) async throws {
        let (provider, instance) = try providerOf(instance: id)
        let runner = HookRunner(engine: self, hooks: hooks, options: options)
        await runner.run(.shutdown, instance, reason: reason, timeLimit: options.shutdownTimeout)
        try await action(provider)
        try await configureAll(cluster: instance.cluster, reason: "left", runner: runner, options: options)
    }

    /// Runs configure on every online instance of the cluster, at most `parallelism` at once.
    func configureAll(cluster: String, reason: String, runner: HookRunner, options: ApplyOptions) async throws {
        guard runner.hooks?.declares(.configure, anyLayerOf: try layers(of: cluster)) ?? false else { return }
        let online = try await provider(for: cluster).describe(cluster: cluster).instances.filter { $0.state == .online }
        try await forEachConcurrently(online, limit: options.parallelism) { instance in
            _ = await runner.run(.configure, instance, reason: reason)
        }
    }

    /// An image of the instance (an AMI on EC2).
    public func createImage(of id: String, cluster: String?, name: String) async throws -> String {
        guard let cluster = try cluster ?? store.instance(id)?.cluster else { throw CloudError("instance \(id) does not exist") }
        let image = try await provider(for: cluster).createImage(of: id, name: name)
        record("image.created", cluster: cluster, subject: image, detail: "of \(id), \(name)")
        return image
    }

    public func createVolume(cluster: String, name: String, sizeGB: Int, from snapshot: String?) async throws -> Volume {
        try await provider(for: cluster).createVolume(cluster: cluster, name: name, sizeGB: sizeGB, from: snapshot)
    }

    public func attach(volume: String, to instance: String, at mount: String) async throws {
        try await providerOf(instance: instance).0.attach(volume: volume, to: instance, at: mount)
    }

    public func detach(volume id: String) async throws {
        guard let volume = try store.volume(id) else { throw CloudError("volume \(id) does not exist") }
        try await provider(for: volume.cluster).detach(volume: id)
    }

    public func snapshot(volume id: String, cluster: String? = nil) async throws -> Snapshot {
        guard let cluster = try cluster ?? store.volume(id)?.cluster else { throw CloudError("volume \(id) does not exist") }
        var snapshot = try await provider(for: cluster).snapshot(volume: id)
        snapshot.cluster = cluster
        return snapshot
    }

    /// Removes a volume for good (detached first); its snapshots stay.
    public func deleteVolume(_ id: String) async throws {
        guard let volume = try store.volume(id) else { throw CloudError("volume \(id) does not exist") }
        try await provider(for: volume.cluster).deleteVolume(id)
    }

    /// The snapshots of a cluster's volumes, oldest first.
    public func listSnapshots(cluster: String?) throws -> [Snapshot] {
        try store.snapshots(cluster: cluster)
    }

    public func deleteSnapshot(_ id: String) async throws {
        guard let snapshot = try store.snapshot(id) else { throw CloudError("snapshot \(id) does not exist") }
        try await provider(for: snapshot.cluster).deleteSnapshot(id)
    }

    /// A new volume made from the snapshot, in the snapshot's cluster unless told otherwise.
    public func restore(snapshot id: String, cluster: String?, name: String?) async throws -> Volume {
        guard let snapshot = try store.snapshot(id) else { throw CloudError("snapshot \(id) does not exist") }
        let target = cluster ?? snapshot.cluster
        return try await provider(for: target).createVolume(
            cluster: target, name: name ?? "restored-\(id)", sizeGB: snapshot.sizeGB, from: id)
    }

    public func allocateAddress(cluster: String) async throws -> Address {
        try await provider(for: cluster).allocateAddress(cluster: cluster)
    }

    /// Moves an elastic IP; configure then runs on every online instance (load balancers follow it).
    public func associate(address ip: String, with instance: String, hooks: (any LifecycleHooks)? = nil,
                          options: ApplyOptions = ApplyOptions()) async throws {
        let (provider, holder) = try providerOf(instance: instance)
        try await provider.associate(address: ip, with: instance)
        let runner = HookRunner(engine: self, hooks: hooks, options: options)
        try await configureAll(cluster: holder.cluster, reason: "address moved", runner: runner, options: options)
    }

    public func releaseAddress(_ ip: String) async throws {
        guard let address = try store.address(ip) else { throw CloudError("address \(ip) is not allocated") }
        try await provider(for: address.cluster).releaseAddress(ip)
    }

    public func writeFile(on id: String, path: String, contents: String) async throws {
        try await providerOf(instance: id).0.writeFile(on: id, path: path, contents: contents)
    }

    /// Runs a command on an instance; the event records the command and its exit code, not its output.
    public func run(on id: String, command: String, timeout: Double = 300) async throws -> CommandResult {
        let (provider, instance) = try providerOf(instance: id)
        do {
            let result = try await provider.run(on: id, command: command, timeout: timeout)
            record("command.run", cluster: instance.cluster, subject: instance.name, detail: command,
                   result: result.code == 0 ? "ok" : "failed: exit \(result.code)")
            return result
        } catch {
            record("command.run", cluster: instance.cluster, subject: instance.name, detail: command, result: "failed: \(error)")
            throw error
        }
    }
}
