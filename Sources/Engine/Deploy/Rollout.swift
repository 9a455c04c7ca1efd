import Cloud
import Foundation
import Store

/// One app's release rolled over the online instances that run it, batch by batch. An instance
/// that serves is drained from the balancers before its restart and made ready once healthy; the
/// first failure returns every instance to what it ran before. Each step on each instance is
/// written to the rollout's record first, so a rollout killed midway is finished or rolled back
/// by the next command (`Engine+Settle.swift`).
struct Rollout: Sendable {
    let releases: Releases
    let hooks: HookRunner
    /// Every instance of the cluster, for finding balancers.
    let members: [Instance]
    /// The online instances of the layers that run the app, by name.
    let targets: [Instance]

    init(engine: Engine, spec: ClusterSpec, app: AppSpec, hooks: (any LifecycleHooks)?, options: ApplyOptions) async throws {
        releases = Releases(engine: engine, app: app)
        self.hooks = HookRunner(engine: engine, hooks: hooks, options: options)
        members = try await engine.listInstances(cluster: spec.name, layer: nil)
        let layers = Set(spec.layers.filter { $0.apps.contains(app.name) }.map(\.name))
        targets = members.filter { layers.contains($0.layer) && $0.state == .online }.sorted { $0.name < $1.name }
        guard !targets.isEmpty else { throw CloudError("app \(app.name): no online instance of \(spec.name) runs it") }
    }

    private var app: String { releases.app.name }
    private var store: Store { releases.engine.store }

    /// Opens the record of a rollout of `release` over the targets, each with what it runs now.
    /// An instance that cannot be asked is a failure before anything changed.
    func begin(_ deploy: DeployRecord) async throws -> (DeployRecord, [String: DeployTarget]) {
        let running = try await all(targets.map { instance in {
            do { return (instance, try await releases.current(on: instance)) } catch {
                throw CloudError("\(instance.name): \(error)\nno instance was touched")
            }
        } })
        let record = try store.begin(deploy: deploy, targets: running.map { ($0.0.id, $0.0.name, $0.1) })
        return (record, Dictionary(uniqueKeysWithValues: running.map {
            ($0.0.id, DeployTarget(deploy: record.id!, instance: $0.0.id, name: $0.0.name, previous: $0.1))
        }))
    }

    /// Rolls the record's release out. `progress` is the record's targets (a resumed rollout skips
    /// what is done); an instance it lacks (a newcomer since) is added. Throws the first
    /// instance's failure once every instance is back on what it ran before.
    func roll(_ deploy: DeployRecord, archive: URL, batch: String, reason: String,
              progress: [String: DeployTarget]) async throws {
        let id = deploy.id!
        for group in try Self.batches(targets, batch) {
            let failures = await withTaskGroup(of: String?.self) { tasks in
                for instance in group {
                    tasks.addTask {
                        do {
                            var target = progress[instance.id]
                            if target == nil {
                                let added = DeployTarget(deploy: id, instance: instance.id, name: instance.name,
                                                         previous: try await releases.current(on: instance))
                                try store.add(target: added)
                                target = added
                            }
                            try await releases.logged(instance, "\(deploy.kind) \(deploy.release)") {
                                try await step(deploy, target!, instance, archive: archive, reason: reason)
                            }
                            return nil
                        } catch {
                            return "\(instance.name): \(error)"
                        }
                    }
                }
                var failures: [String] = []
                for await failure in tasks { if let failure { failures.append(failure) } }
                return failures.sorted()
            }
            if let failure = failures.first {
                try? store.end(deploy: id, as: .restoring)
                let (back, problems) = await returnAll(deploy, reason: "\(reason) failed")
                throw CloudError(failure + "\n\(back) instance(s) returned to their previous release"
                                 + problems.map { "\n\($0)" }.joined())
            }
        }
    }

    /// One instance through the phases its record names; done phases are skipped.
    private func step(_ deploy: DeployRecord, _ target: DeployTarget, _ instance: Instance, archive: URL, reason: String) async throws {
        let id = deploy.id!, release = deploy.release
        if target.phase == .done { return }
        let runs = try await releases.current(on: instance)
        // switched before (and healthy then): back in rotation, its hooks again; else the whole way
        if runs == release && (target.phase == .switched || target.phase == .ready) {
            if target.phase == .switched { await hooks.balance(.ready, instance, among: members, reason: reason) }
        } else {
            try await releases.install(release, archive: archive, on: instance)
            let serving = runs != nil
            if serving {
                try store.advance(deploy: id, instance: instance.id, to: .drained)
                await hooks.balance(.drain, instance, among: members, reason: reason)
            }
            try await releases.activate(release, on: instance)
            try store.advance(deploy: id, instance: instance.id, to: .switched)
            if serving || target.phase == .drained { await hooks.balance(.ready, instance, among: members, reason: reason) }
        }
        try store.advance(deploy: id, instance: instance.id, to: .ready)
        await hooks.run(.deploy, instance, reason: reason, app: app)
        try store.advance(deploy: id, instance: instance.id, to: .done)
    }

    /// Every instance the record names back on the release it ran before (or stopped, when it ran
    /// none) and in rotation again. An instance that cannot be reached (it vanished) is skipped:
    /// it serves nothing, and its slot is launched again with the current release.
    /// Answers how many went back, and what could not be done.
    func returnAll(_ deploy: DeployRecord, reason: String) async -> (Int, [String]) {
        let targets = (try? store.targets(of: deploy.id!)) ?? []
        let byID = Dictionary(members.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let outcomes = await withTaskGroup(of: (Bool, String?).self) { tasks in
            for target in targets {
                tasks.addTask {
                    guard let instance = byID[target.instance], instance.state == .online else { return (false, nil) }
                    // one that cannot be asked has vanished (its agent and services are gone): it serves nothing
                    let runs: String?
                    do { runs = try await releases.current(on: instance) } catch {
                        releases.step(instance, "cannot be reached: left as it is (\(error))")
                        return (false, nil)
                    }
                    do {
                        var moved = false
                        if runs != target.previous {
                            try await releases.logged(instance, "back to \(target.previous ?? "no release")") {
                                releases.step(instance, target.previous.map { "back to release \($0)" } ?? "stopped (no earlier release)")
                                try await releases.restore(target.previous, on: instance)
                            }
                            moved = true
                        }
                        if moved || target.phase != .pending {
                            await hooks.balance(.ready, instance, among: members, reason: reason)
                        }
                        try store.advance(deploy: deploy.id!, instance: instance.id, to: .restored)
                        return (moved, nil)
                    } catch {
                        return (false, "\(target.name): not returned to \(target.previous ?? "no release"): \(error)")
                    }
                }
            }
            var outcomes: [(Bool, String?)] = []
            for await outcome in tasks { outcomes.append(outcome) }
            return outcomes
        }
        return (outcomes.filter(\.0).count, outcomes.compactMap(\.1).sorted())
    }

    func prune() async throws {
        try await all(targets.map { instance in { try await releases.prune(on: instance) } })
    }

    /// Undeploy: hooks, out of rotation, stopped, releases gone.
    func remove() async throws {
        try await all(targets.map { instance in {
            await hooks.run(.undeploy, instance, reason: "undeploy", app: app)
            await hooks.balance(.drain, instance, among: members, reason: "undeploy")
            try await releases.stop(on: instance)
            try await releases.removeAll(on: instance)
            // the balancer's health check keeps it out now; ready clears the drain for a later deploy
            await hooks.balance(.ready, instance, among: members, reason: "undeploy")
        } })
    }

    /// The targets in batches of a count or a share ("25%").
    static func batches(_ instances: [Instance], _ batch: String) throws -> [[Instance]] {
        let size: Int
        if batch.hasSuffix("%"), let percent = Double(batch.dropLast()), percent > 0, percent <= 100 {
            size = max(1, Int((Double(instances.count) * percent / 100).rounded(.up)))
        } else if let count = Int(batch), count > 0 {
            size = count
        } else {
            throw CloudError("batch '\(batch)' is not a count of instances (such as 2) or a share (such as 25%)")
        }
        return stride(from: 0, to: instances.count, by: size).map { Array(instances[$0..<min($0 + size, instances.count)]) }
    }
}
