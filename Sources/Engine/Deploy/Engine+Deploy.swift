import Cloud
import Foundation
import Store

/// What a deploy did.
public struct DeployReport: Sendable {
    public var release: String
    public var ref: String = ""
    public var sha: String
    public var instances: [String]
    /// The deploy, drain and ready hooks that failed on the way (recorded; the rollout went on).
    public var failures: [HookFailure] = []
}

/// Rolling, health-gated releases of an app over the instances of the layers that run it.
/// Everything on an instance goes through `run`, so it is recorded and provider-neutral; load
/// balancers take part through the recipe's drain and ready hooks.
extension Engine {
    public func appSpec(cluster: String, app: String) throws -> (ClusterSpec, AppSpec) {
        guard let record = try store.cluster(cluster) else { throw CloudError("no cluster named \(cluster)") }
        let spec = try record.declaration()
        guard let found = spec.apps[app] else {
            throw CloudError("cluster \(cluster) has no app \(app) (apps: \(spec.apps.keys.sorted().joined(separator: ", ")))")
        }
        return (spec, found)
    }

    /// Deploys `ref` (default: the app's) in batches (a count, or "25%"); a failed health check
    /// returns every touched instance to its previous release and names the instance and its log.
    /// A deploy of this app that was interrupted is finished when this one deploys the same commit,
    /// and rolled back first otherwise, so the fleet runs one release before anything else starts.
    public func deploy(cluster: String, app name: String, ref: String? = nil, batch: String = "1",
                       hooks: (any LifecycleHooks)? = nil, options: ApplyOptions = ApplyOptions()) async throws -> DeployReport {
        let lock = try await hold(cluster)
        defer { lock.release() }
        let (spec, app) = try appSpec(cluster: cluster, app: name)
        guard app.deployable else { throw CloudError("app \(name) has no source to deploy from") }
        _ = try Rollout.batches([], batch)
        let ref = ref ?? app.ref
        let (sha, archive) = try await AppSource.export(app, ref: ref, cache: store.home.appendingPathComponent("cache"))
        let rollout = try await Rollout(engine: self, spec: spec, app: app, hooks: hooks, options: options)
        var open = try store.unfinishedDeploy(cluster: cluster, app: name)
        if let (found, _) = open, !(found.kind == "deploy" && found.state == .running && found.sha == sha) {
            try await rollBack(found, rollout)
            open = nil
        }
        let deploy: DeployRecord, phases: [String: DeployTarget]
        if let (found, targets) = open {
            progress.step(cluster, nil, "app \(name): finishing the interrupted deploy of \(found.ref) (\(found.release)) on \(rollout.targets.map(\.name).joined(separator: ", "))")
            record("deploy.started", cluster: cluster, subject: name, detail: "\(ref) \(sha.prefix(12)): resumes the interrupted \(found.release)")
            (deploy, phases) = (found, Dictionary(targets.map { ($0.instance, $0) }, uniquingKeysWith: { a, _ in a }))
        } else {
            let release = "\(Self.stamp())-\(sha.prefix(12))"
            progress.step(cluster, nil, "app \(name): \(ref) is \(sha.prefix(12)); rolling out to \(rollout.targets.map(\.name).joined(separator: ", "))")
            (deploy, phases) = try await rollout.begin(DeployRecord(
                cluster: cluster, app: name, kind: "deploy", release: release, source: app.source, sha: sha, ref: ref,
                archive: archive.path, from: try store.currentRelease(cluster: cluster, app: name)?.release))
            record("deploy.started", cluster: cluster, subject: name, detail: "\(ref) \(sha.prefix(12)) to \(rollout.targets.count) instances")
        }
        do {
            try await rollout.roll(deploy, archive: archive, batch: batch, reason: "deploy", progress: phases)
        } catch {
            record("deploy.failed", cluster: cluster, subject: name, detail: "\(ref): \(error)", result: "failed")
            try? store.end(deploy: deploy.id!, as: .failed, keeping: deploy.releaseRecord)
            throw CloudError("deploy of \(name) \(ref) stopped: \(error)")
        }
        try store.finish(deploy: deploy.id!, release: deploy.releaseRecord)
        record("deploy.finished", cluster: cluster, subject: name, detail: "\(deploy.release) on \(rollout.targets.count) instances")
        try await rollout.prune()
        return DeployReport(release: deploy.release, sha: sha, instances: rollout.targets.map(\.name), failures: rollout.hooks.failures.value)
    }

    /// Back `steps` releases, rolled out and health-checked like a deploy. After an interrupted
    /// deploy, going back means undoing it: its instances return to the current release, and that
    /// is the step. An interrupted rollback is finished.
    public func rollback(cluster: String, app name: String, steps: Int = 1, batch: String = "1",
                         hooks: (any LifecycleHooks)? = nil, options: ApplyOptions = ApplyOptions()) async throws -> DeployReport {
        let lock = try await hold(cluster)
        defer { lock.release() }
        let (spec, app) = try appSpec(cluster: cluster, app: name)
        _ = try Rollout.batches([], batch)
        let rollout = try await Rollout(engine: self, spec: spec, app: app, hooks: hooks, options: options)
        let history = try store.releases(cluster: cluster, app: name).filter { $0.state != .failed && $0.state != .interrupted }
        var open = try store.unfinishedDeploy(cluster: cluster, app: name)
        if let (found, _) = open, !(found.kind == "rollback" && found.state == .running) {
            try await rollBack(found, rollout)
            let back = history.first { $0.release == found.from }
            return DeployReport(release: found.from ?? "none", ref: back?.ref ?? "", sha: back?.sha ?? "",
                                instances: rollout.targets.map(\.name), failures: rollout.hooks.failures.value)
        }
        let target: ReleaseRecord
        let deploy: DeployRecord, phases: [String: DeployTarget]
        if let (found, targets) = open, let back = history.first(where: { $0.release == found.release }) {
            target = back
            progress.step(cluster, nil, "app \(name): finishing the interrupted rollback to \(target.release) on \(rollout.targets.map(\.name).joined(separator: ", "))")
            (deploy, phases) = (found, Dictionary(targets.map { ($0.instance, $0) }, uniquingKeysWith: { a, _ in a }))
        } else {
            if let (found, _) = open { try await rollBack(found, rollout) }
            open = nil
            guard let index = history.firstIndex(where: { $0.state == .current }), index + steps < history.count else {
                throw CloudError("app \(name) has no release \(steps) step(s) before the current one")
            }
            target = history[index + steps]
            progress.step(cluster, nil, "app \(name): back to \(target.release) (\(target.ref)) on \(rollout.targets.map(\.name).joined(separator: ", "))")
            (deploy, phases) = try await rollout.begin(DeployRecord(
                cluster: cluster, app: name, kind: "rollback", release: target.release, source: app.source, sha: target.sha,
                ref: target.ref, archive: target.archive, from: history[index].release))
        }
        do {
            try await rollout.roll(deploy, archive: URL(fileURLWithPath: target.archive), batch: batch, reason: "rollback", progress: phases)
        } catch {
            record("deploy.failed", cluster: cluster, subject: name, detail: "rollback to \(target.release): \(error)", result: "failed")
            try? store.end(deploy: deploy.id!, as: .failed, keeping: nil)
            throw CloudError("rollback of \(name) to \(target.release) stopped: \(error)")
        }
        try store.finish(rollback: deploy.id!, current: target.id!, cluster: cluster, app: name)
        record("deploy.rolledback", cluster: cluster, subject: name, detail: "to \(target.release) (\(target.ref))")
        return DeployReport(release: target.release, ref: target.ref, sha: target.sha, instances: rollout.targets.map(\.name),
                            failures: rollout.hooks.failures.value)
    }

    /// Takes an app off every instance: undeploy hooks, out of rotation, stopped, releases removed.
    /// It stays declared, so a later deploy (or `recipe run`) brings it back.
    public func undeploy(cluster: String, app name: String, hooks: (any LifecycleHooks)? = nil,
                         options: ApplyOptions = ApplyOptions()) async throws -> [String] {
        let lock = try await hold(cluster)
        defer { lock.release() }
        let (spec, app) = try appSpec(cluster: cluster, app: name)
        let rollout = try await Rollout(engine: self, spec: spec, app: app, hooks: hooks, options: options)
        try await rollout.remove()
        try store.abandonDeploys(cluster: cluster, app: name)
        try store.retireReleases(cluster: cluster, app: name)
        record("deploy.undeployed", cluster: cluster, subject: name, detail: "from \(rollout.targets.count) instances")
        return rollout.targets.map(\.name)
    }

    /// Gives a newcomer the app's current release, before its deploy hooks run.
    /// The app's current release on a newcomer; false when the app has none yet.
    @discardableResult
    func installCurrent(_ app: AppSpec, on instance: Instance) async throws -> Bool {
        guard let current = try store.currentRelease(cluster: instance.cluster, app: app.name) else { return false }
        let releases = Releases(engine: self, app: app)
        try await releases.logged(instance, "install \(current.release)") {
            try await releases.install(current.release, archive: URL(fileURLWithPath: current.archive), on: instance)
            try await releases.activate(current.release, on: instance, restart: false)
        }
        return true
    }

    static func stamp() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss.SSS"
        return f.string(from: Date())
    }
}
