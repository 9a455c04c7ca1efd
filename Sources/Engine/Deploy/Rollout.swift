import Cloud
import Foundation

/// One app's release rolled over the online instances that run it, batch by batch. An instance
/// that serves is drained from the balancers before its restart and made ready once healthy; the
/// first failure returns every touched instance to what it ran before.
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

    /// Rolls `release` out; throws the first instance's failure after restoring the touched ones.
    func roll(_ release: String, archive: URL, batch: String, reason: String) async throws {
        var touched: [(Instance, String?)] = []
        for group in try Self.batches(targets, batch) {
            let results = try await all(group.map { instance in {
                let previous = try await releases.current(on: instance)
                do {
                    try await releases.install(release, archive: archive, on: instance)
                    try await switchTo(release, on: instance, serving: previous != nil, reason: reason)
                    return (instance, previous, nil as String?)
                } catch {
                    return (instance, previous, "\(error)")
                }
            } })
            touched += results.map { ($0.0, $0.1) }
            if let failure = results.first(where: { $0.2 != nil }) {
                try await restore(touched, reason: reason)
                throw CloudError("\(failure.0.name): \(failure.2!)\n\(touched.count) instance(s) returned to their previous release")
            }
        }
    }

    /// Out of rotation while it restarts, back once healthy; the layer's deploy hooks follow.
    private func switchTo(_ release: String, on instance: Instance, serving: Bool, reason: String) async throws {
        if serving { await hooks.balance(.drain, instance, among: members, reason: reason) }
        try await releases.activate(release, on: instance)
        if serving { await hooks.balance(.ready, instance, among: members, reason: reason) }
        await hooks.run(.deploy, instance, reason: reason, app: app)
    }

    private func restore(_ touched: [(Instance, String?)], reason: String) async throws {
        try await all(touched.map { instance, previous in {
            releases.step(instance, previous.map { "back to release \($0)" } ?? "stopped (no earlier release)")
            try await releases.restore(previous, on: instance)
            await hooks.balance(.ready, instance, among: members, reason: "\(reason) failed")
        } })
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
