import Cloud
import Foundation
import Store

/// The imperative primitives recipes and hooks call, each through the cluster's provider.
extension Engine {
    /// Launches one instance; without a name it takes the layer's next free slot.
    public func launch(cluster: String, layer: String, name: String?, services: [ServiceSpec], image: String? = nil,
                       instanceType: String? = nil) async throws -> Instance {
        let lock = try await hold(cluster)
        defer { lock.release() }
        let provider = try provider(for: cluster)
        let taken = Set(try await listInstances(cluster: cluster, layer: nil).map(\.name))
        if let name, taken.contains(name) { throw CloudError("cluster \(cluster) already has an instance named \(name)") }
        let slot = name ?? (1...).lazy.map { "\(layer)-\($0)" }.first { !taken.contains($0) }!
        let launched = try await UsageTags.$cause.withValue(UsageTags.currentCause(default: "manual")) {
            try await provider.launch([InstanceSpec(cluster: cluster, layer: layer, name: slot, services: services,
                                                    instanceType: instanceType, image: image)])
        }
        remember(launched)
        return launched[0]
    }

    /// Answers the hooks that failed on the way (recorded; the stop went on).
    @discardableResult
    public func stop(instance id: String, hooks: (any LifecycleHooks)? = nil, options: ApplyOptions = ApplyOptions()) async throws -> [HookFailure] {
        try await leave(id, reason: "stopping", hooks: hooks, options: options) { try await $0.stop([id]) }
    }

    public func start(instance id: String) async throws {
        let provider = try await owner(of: id).0
        try await UsageTags.$cause.withValue(UsageTags.currentCause(default: "manual")) { try await provider.start([id]) }
    }

    /// Answers the hooks that failed on the way (recorded; the terminate went on).
    @discardableResult
    public func terminate(instance id: String, hooks: (any LifecycleHooks)? = nil, options: ApplyOptions = ApplyOptions()) async throws -> [HookFailure] {
        try await leave(id, reason: "terminating", hooks: hooks, options: options) { try await $0.terminate([id]) }
    }

    /// Out of the balancers' rotation, the shutdown hook (within its timeout), the stop or
    /// terminate itself, then configure on every instance still online.
    private func leave(_ id: String, reason: String, hooks: (any LifecycleHooks)?, options: ApplyOptions,
                       _ action: (any CloudProvider) async throws -> Void) async throws -> [HookFailure] {
        let instance = try await self.instance(id)
        let lock = try await hold(instance.cluster)
        defer { lock.release() }
        let provider = try provider(for: instance.cluster)
        let runner = HookRunner(engine: self, hooks: hooks, options: options)
        if instance.state == .online {
            let peers = try await provider.describe(cluster: instance.cluster).instances
            await runner.balance(.drain, instance, among: peers, reason: reason)
        }
        await runner.run(.shutdown, instance, reason: reason, timeLimit: options.shutdownTimeout)
        try await action(provider)
        try await configureAll(cluster: instance.cluster, reason: "left", runner: runner, options: options)
        return runner.failures.value
    }

    /// Runs configure on every online instance of the cluster, at most `parallelism` at once.
    func configureAll(cluster: String, reason: String, runner: HookRunner, options: ApplyOptions) async throws {
        guard runner.hooks?.declares(.configure, anyLayerOf: try store.layers(cluster: cluster).map(\.name)) ?? false else { return }
        let online = try await provider(for: cluster).describe(cluster: cluster).instances.filter { $0.state == .online }
        try await forEachConcurrently(online, limit: options.parallelism) { instance in
            _ = await runner.run(.configure, instance, reason: reason)
        }
    }

    /// An image of the instance (an AMI on EC2).
    public func createImage(of id: String, cluster: String?, name: String) async throws -> String {
        let (provider, instance) = try await owner(of: id, cluster: cluster)
        let image = try await provider.createImage(of: id, name: name)
        record("image.created", cluster: instance.cluster, subject: image, detail: "of \(id), \(name)")
        return image
    }

    public func createVolume(cluster: String, name: String, sizeGB: Int, from snapshot: String?) async throws -> Volume {
        let provider = try provider(for: cluster)
        return try await UsageTags.$cause.withValue(UsageTags.currentCause(default: "manual")) {
            try await provider.createVolume(cluster: cluster, name: name, sizeGB: sizeGB, from: snapshot)
        }
    }

    public func attach(volume: String, to instance: String, at mount: String) async throws {
        try await owner(of: instance).0.attach(volume: volume, to: instance, at: mount)
    }

    public func detach(volume id: String, cluster: String? = nil) async throws {
        try await self.volume(id, cluster: cluster).0.detach(volume: id)
    }

    public func snapshot(volume id: String, cluster hint: String? = nil) async throws -> Snapshot {
        let (provider, volume) = try await self.volume(id, cluster: hint)
        return try await provider.snapshot(volume: id, cluster: volume.cluster)
    }

    /// Removes a volume for good (detached first); its snapshots stay.
    public func deleteVolume(_ id: String, cluster: String? = nil) async throws {
        try await volume(id, cluster: cluster).0.deleteVolume(id)
    }

    public func deleteSnapshot(_ id: String, cluster: String? = nil) async throws {
        try await snapshot(id, cluster: cluster).0.deleteSnapshot(id)
    }

    /// A new volume made from the snapshot, in the snapshot's cluster unless told otherwise.
    public func restore(snapshot id: String, cluster: String?, name: String?) async throws -> Volume {
        let (_, snapshot) = try await self.snapshot(id, cluster: cluster)
        let target = cluster ?? snapshot.cluster
        let provider = try provider(for: target)
        return try await UsageTags.$cause.withValue(UsageTags.currentCause(default: "manual")) {
            try await provider.createVolume(cluster: target, name: name ?? "restored-\(id)", sizeGB: snapshot.sizeGB, from: id)
        }
    }

    public func allocateAddress(cluster: String) async throws -> Address {
        try await provider(for: cluster).allocateAddress(cluster: cluster)
    }

    /// Moves an elastic IP; configure then runs on every online instance (load balancers follow it).
    /// Answers the configure hooks that failed (recorded; the address moved).
    @discardableResult
    public func associate(address ip: String, with instance: String, hooks: (any LifecycleHooks)? = nil,
                          options: ApplyOptions = ApplyOptions()) async throws -> [HookFailure] {
        let (provider, holder) = try await owner(of: instance)
        try await provider.associate(address: ip, with: instance)
        let runner = HookRunner(engine: self, hooks: hooks, options: options)
        try await configureAll(cluster: holder.cluster, reason: "address moved", runner: runner, options: options)
        return runner.failures.value
    }

    public func releaseAddress(_ ip: String, cluster: String? = nil) async throws {
        try await address(ip, cluster: cluster).0.releaseAddress(ip)
    }

    public func writeFile(on id: String, path: String, contents: String) async throws {
        try await owner(of: id).0.writeFile(on: id, path: path, contents: contents)
    }

    /// Runs a command on an instance; the event records the command and its exit code, and the
    /// instance's logs its output (`recipe logs`).
    /// A command the tool runs for its own work (`bookkeeping`: deploy steps, cookbooks' service
    /// control) is recorded as `command.internal`, which `recipe events` hides unless asked, and
    /// its output is left to what ran it (a hook's or a deploy's log), so it buries no command of the user's.
    public func run(on id: String, command: String, timeout: Double = 300, bookkeeping: Bool = false) async throws -> CommandResult {
        let (provider, instance) = try await owner(of: id)
        let kind = bookkeeping ? "command.internal" : "command.run"
        func log(_ text: String, code: Int32?, result: String) {
            guard !bookkeeping else { return }
            keep(LogEntry(cluster: instance.cluster, instance: instance.name, instanceID: instance.id, kind: .command,
                          source: command, text: text, exitCode: code, result: result))
        }
        do {
            let result = try await provider.run(on: id, command: command, timeout: timeout)
            let outcome = result.code == 0 ? "ok" : "failed: exit \(result.code)"
            record(kind, cluster: instance.cluster, subject: instance.name, detail: command, result: outcome)
            log(LogCapture.output(result), code: result.code, result: outcome)
            return result
        } catch let stopped as CommandStopped {
            let confirmed = stopped.confirmed ? "" : " (asked; the agent did not confirm)"
            let outcome = "stopped: \(TimeBudget.stopReason)\(confirmed)"
            record(kind, cluster: instance.cluster, subject: instance.name, detail: command, result: outcome)
            log("", code: nil, result: outcome)
            throw stopped
        } catch {
            record(kind, cluster: instance.cluster, subject: instance.name, detail: command, result: "failed: \(error)")
            log("", code: nil, result: "failed: \(error)")
            throw error
        }
    }
}
