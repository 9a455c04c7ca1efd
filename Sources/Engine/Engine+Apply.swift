import Cloud
import Foundation
import Store

/// What one apply did.
public struct ConvergeReport: Sendable {
    public var plan: Plan
    public var launched: [Instance] = []
    public var terminated: [String] = []
    public var online: [String] = []
    public var setupFailed: [String] = []
    /// Every hook that failed (setup, deploy, configure, drain, shutdown), in the order they failed.
    public var failures: [HookFailure] = []

    public var changed: Bool { !plan.isEmpty }
}

extension Engine {
    /// Carries out a plan: leavers shut down and go, lost instances are replaced, newcomers are
    /// launched, equipped, set up, deployed and brought online, and then every online instance
    /// is configured. Each step is an event; a run killed midway is completed by the next one.
    public func apply(_ plan: Plan, spec: ClusterSpec, recipe: RecipeSource?, hooks: (any LifecycleHooks)?,
                      options: ApplyOptions) async throws -> ConvergeReport {
        let lock = try await hold(spec.name)
        defer { lock.release() }
        let provider = try provider(for: spec)
        try refuseUnreachable(plan, spec: spec, provider: provider)
        // a changed app is recorded once it is deployed, so a rollout that fails is tried again next run;
        // one that never had a release takes the new declaration at once (a failed first one is not the truth)
        var declared = spec
        for (app, was) in plan.redeploys where try store.currentRelease(cluster: spec.name, app: app) != nil {
            declared.apps[app] = was
        }
        try saveDeclaration(declared, recipe: recipe)
        try saveAccess(spec, plan: plan)
        if plan.accessChanged {
            try await provider.applyFirewall(cluster: spec.name, rules: spec.firewall)
            try await provider.applyKeys(cluster: spec.name, keys: spec.users.reduce(into: [:]) { keys, user in
                if let key = user.sshKey { keys[user.name] = key }
            })
        }
        var report = ConvergeReport(plan: plan)
        let hooks = HookRunner(engine: self, hooks: hooks, options: options)
        // An interrupted rollout is settled before anything else, so newcomers get the release that serves.
        var rolloutFailures: [HookFailure] = []  // the rollouts' hooks run through runners of their own
        for (app, finish) in plan.unfinished.sorted(by: { $0.key < $1.key }) {
            rolloutFailures += try await settle(cluster: spec.name, app: app, finish: finish, hooks: hooks.hooks, options: options)
        }

        // Leavers: out of the balancers' rotation, then shutdown hooks, then terminate.
        let leaving = Set(plan.terminations.map(\.id))
        let staying = plan.inventory.instances.filter { !leaving.contains($0.id) }
        try await forEachConcurrently(plan.terminations, limit: options.parallelism) { instance in
            self.progress.step(spec.name, instance.name, "leaving")
            await hooks.balance(.drain, instance, among: staying, reason: "terminating")
            await hooks.run(.shutdown, instance, reason: "terminating", timeLimit: options.shutdownTimeout)
            try await provider.terminate([instance.id])
            self.progress.step(spec.name, instance.name, "terminated")
        }
        report.terminated = plan.terminations.map(\.name)

        // Lost instances leave no agent behind; their slots are launched again below.
        let lost = plan.launches.compactMap(\.replacing)
        if !lost.isEmpty { try await provider.terminate(lost.map(\.id)) }

        // What a plan starts or launches runs because it is declared; a lost instance's
        // replacement runs because it was healed (what accounting attributes the hours to).
        let cause = UsageTags.currentCause(default: "declared")
        if !plan.starts.isEmpty {
            try await UsageTags.$cause.withValue(cause) { try await provider.start(plan.starts.map(\.id)) }
        }
        if !plan.launches.isEmpty {
            progress.step(spec.name, nil, "launching \(plan.launches.map(\.spec.name).joined(separator: ", "))")
            let healing = plan.launches.filter { $0.replacing != nil }.map(\.spec)
            let fresh = plan.launches.filter { $0.replacing == nil }.map(\.spec)
            if !healing.isEmpty { report.launched += try await UsageTags.$cause.withValue("heal") { try await provider.launch(healing) } }
            if !fresh.isEmpty { report.launched += try await UsageTags.$cause.withValue(cause) { try await provider.launch(fresh) } }
            for instance in report.launched { progress.step(spec.name, instance.name, "launched (\(instance.id), \(instance.privateIP))") }
        }

        // Newcomers (and instances that never finished setup) are equipped, set up and deployed.
        let inventory = try await provider.refresh(plan.inventory, cluster: spec.name, launched: report.launched,
                                                   gone: plan.terminations.map(\.id) + lost.map(\.id))
        remember(inventory.instances)
        let pending = Set(report.launched.map(\.id) + plan.starts.map(\.id) + plan.setups.map(\.id))
        let joining = inventory.instances.filter { pending.contains($0.id) }
        // (joining instances are equipped in their own pipeline: never twice at once)
        let repairing = inventory.instances.filter { i in !pending.contains(i.id) && plan.repairs.contains { $0.id == i.id } }
        try await assignAddresses(spec, inventory, joining + repairing, provider)
        try await forEachConcurrently(repairing, limit: options.parallelism) { instance in
            try await self.attachVolumes(spec, instance, inventory, provider)
        }
        // which instances came online and which failed setup, gathered from concurrent pipelines
        let outcomes = Locked<(online: [Instance], failed: [Instance])>(([], []))
        try await forEachConcurrently(joining, limit: options.parallelism) { instance in
            try await self.attachVolumes(spec, instance, inventory, provider)
            let layer = spec.layer(instance.layer)
            guard await hooks.run(.setup, instance, reason: "launched") else {
                outcomes.withLock { $0.failed.append(instance) }
                return
            }
            for app in layer?.apps ?? [] {
                // the app's current release first (a newcomer serves what the others serve), then its
                // hooks; an app never released yet gets them from its first deploy, below, once only
                var installed = false
                if let appSpec = spec.apps[app] { installed = try await self.installCurrent(appSpec, on: instance) }
                if installed || spec.apps[app]?.deployable != true {
                    _ = await hooks.run(.deploy, instance, reason: "setup", app: app)
                }
            }
            outcomes.withLock { $0.online.append(instance) }
            self.progress.step(spec.name, instance.name, "online")
        }
        // Statuses are written in one call per status (one CreateTags on EC2).
        let (online, failed) = outcomes.value
        if !failed.isEmpty { try await provider.setStatus(failed.map(\.id), .setupFailed) }
        if !online.isEmpty { try await provider.setStatus(online.map(\.id), .online) }
        for instance in online { record("instance.online", cluster: spec.name, subject: instance.name, detail: instance.id) }
        (report.online, report.setupFailed) = (online.map(\.name).sorted(), failed.map(\.name).sorted())

        // An app that was never deployed gets its first release now, at its declared ref.
        let deployable = spec.apps.filter(\.value.deployable).keys
        let undeployed = try Set(spec.layers.flatMap(\.apps)).intersection(deployable).sorted()
            .filter { try store.currentRelease(cluster: spec.name, app: $0) == nil }
        if !undeployed.isEmpty {
            // one look at the instances, whatever the number of apps
            let onlineLayers = Set(try await listInstances(cluster: spec.name, layer: nil).filter { $0.state == .online }.map(\.layer))
            for app in undeployed where spec.layers.contains(where: { onlineLayers.contains($0.name) && $0.apps.contains(app) }) {
                // nothing serves it yet, so no batches: every instance at once
                rolloutFailures += try await deploy(cluster: spec.name, app: app, batch: "100%", hooks: hooks.hooks, options: options).failures
            }
        }
        // A changed declaration (a new ref, say) rolls out one instance at a time.
        for app in plan.redeploys.keys.sorted() {
            declared.apps[app] = spec.apps[app]
            try saveDeclaration(declared, recipe: recipe)
            if try !undeployed.contains(app) && store.currentRelease(cluster: spec.name, app: app) != nil {
                do {
                    rolloutFailures += try await deploy(cluster: spec.name, app: app, batch: "1", hooks: hooks.hooks, options: options).failures
                } catch {
                    declared.apps[app] = plan.redeploys[app]
                    try saveDeclaration(declared, recipe: recipe)
                    throw error
                }
            }
        }

        // Membership changed: configure every online instance of the cluster.
        if plan.membershipChanges {
            try await configureAll(cluster: spec.name, reason: "membership", runner: hooks, options: options)
        }
        record("cluster.converged", cluster: spec.name, subject: spec.name, detail: plan.summary)
        report.failures = hooks.failures.value + rolloutFailures
        // Configured: the run returns once the cluster serves (a failed hook already fails the run).
        if report.failures.isEmpty {
            try await waitServing(spec, timeout: options.serveTimeout)
        }
        return report
    }

    /// Records a declaration that needs no change (its recipe, arguments and settings such as heal;
    /// or a cluster with nothing in it yet).
    public func remember(_ spec: ClusterSpec, recipe: RecipeSource?) throws {
        try saveDeclaration(spec, recipe: recipe)
        try declareGrants(spec)
    }

    /// The users block is the truth for its users' grants on this cluster on every run, even
    /// one with nothing to change (a `recipe grant` in between is replaced).
    private func declareGrants(_ spec: ClusterSpec) throws {
        try store.syncDeclaredGrants(cluster: spec.name, spec.users.map { user in
            GrantRecord(user: user.name, cluster: spec.name, level: AccessLevel(rawValue: user.role) ?? .deny,
                        ssh: user.sshKey != nil, sudo: user.sudo, declared: true)
        }, actor: actor)
    }

    /// Records the declaration and the recipe it came from.
    func saveDeclaration(_ spec: ClusterSpec, recipe: RecipeSource?) throws {
        func json(_ value: some Encodable) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        try store.saveCluster(
            ClusterRecord(name: spec.name, provider: spec.provider, recipePath: recipe?.path, recipeHash: recipe?.sha256,
                          recipeArguments: try recipe.map { try json($0.arguments) }, spec: try json(spec)),
            layers: try spec.layers.map { LayerRecord(cluster: spec.name, name: $0.name, count: $0.count, spec: try json($0)) })
    }

    /// Records the firewall and the users, when they changed.
    private func saveAccess(_ spec: ClusterSpec, plan: Plan) throws {
        try declareGrants(spec)
        guard plan.accessChanged else { return }
        try store.saveAccess(
            cluster: spec.name,
            firewall: spec.firewall.map { FirewallRecord(cluster: spec.name, layer: $0.layer, port: $0.port, protocol: $0.proto, source: $0.source) },
            users: spec.users.map { UserRecord(cluster: spec.name, name: $0.name, role: $0.role, sshKey: $0.sshKey, sudo: $0.sudo) })
        for step in plan.steps where step.kind == "firewall" || step.kind == "user" {
            record("\(step.kind).changed", cluster: spec.name, subject: step.name, detail: step.line)
        }
    }

    /// Elastic IPs, one at a time so two instances never take the same free address.
    private func assignAddresses(_ spec: ClusterSpec, _ inventory: Inventory, _ instances: [Instance],
                                 _ provider: any CloudProvider) async throws {
        // free: unassociated, or still naming an instance that is gone (a cloud may lag behind)
        let live = Set(inventory.instances.filter { $0.state != .terminated }.map(\.id))
        var free = inventory.addresses.filter { $0.instanceID.map { !live.contains($0) } ?? true }
        for instance in instances where spec.layer(instance.layer)?.elasticIP == true {
            guard !inventory.addresses.contains(where: { $0.instanceID == instance.id }) else { continue }
            let address = free.isEmpty ? try await provider.allocateAddress(cluster: spec.name) : free.removeFirst()
            try await provider.associate(address: address.ip, with: instance.id)
        }
    }

    /// The layer's volumes for this slot: reattached when they exist, else created (from a snapshot if declared).
    private func attachVolumes(_ spec: ClusterSpec, _ instance: Instance, _ inventory: Inventory,
                               _ provider: any CloudProvider) async throws {
        for volumeSpec in spec.layer(instance.layer)?.volumes ?? [] {
            let name = volumeSpec.volumeName(for: instance.name)
            var volume = inventory.volumes.first { $0.name == name }
            if volume == nil {
                volume = try await UsageTags.$cause.withValue(UsageTags.currentCause(default: "declared")) {
                    try await provider.createVolume(cluster: spec.name, name: name, sizeGB: volumeSpec.sizeGB,
                                                    from: volumeSpec.snapshots[instance.name])
                }
            }
            guard let volume, volume.instanceID != instance.id || volume.mount != volumeSpec.mount else { continue }
            if volume.instanceID != nil { try await provider.detach(volume: volume.id) }
            try await provider.attach(volume: volume.id, to: instance.id, at: volumeSpec.mount)
        }
    }
}

extension Engine {
    /// Launches whose layers have work for agents (hooks, services, apps) are refused before
    /// anything changes when the provider could not reach the instances they make.
    func refuseUnreachable(_ plan: Plan, spec: ClusterSpec, provider: any CloudProvider) throws {
        let launched = Set(plan.launches.map(\.spec.layer))
        let needing = spec.layers.filter { launched.contains($0.name) && !($0.hooks.isEmpty && $0.services.isEmpty && $0.apps.isEmpty) }
        guard !needing.isEmpty, let reason = provider.agentsUnreachable() else { return }
        throw CloudError("cluster \(spec.name), layer \(needing.map(\.name).joined(separator: ", ")): nothing launched: \(reason)")
    }
}
