import Cloud
import Foundation
import Store

/// A rollout that was interrupted (a kill, a crash, a lost machine) left a record that never
/// closed. What each instance runs is read from the instances themselves; the next command that
/// changes the app settles it first, so one release serves everywhere and nothing stays drained:
/// `recipe deploy` of the same commit and `recipe run` of the same declaration finish it;
/// anything else rolls it back to the release that was current before it.
extension Engine {
    /// Returns every instance the record names to what it ran before the rollout, in rotation,
    /// and closes the record. Throws when an instance that answers could not be returned.
    func rollBack(_ deploy: DeployRecord, _ rollout: Rollout) async throws {
        progress.step(deploy.cluster, nil, "app \(deploy.app): rolling back the interrupted \(deploy.kind) of \(deploy.ref) (\(deploy.release))"
                      + " to \(deploy.from ?? "no release")")
        let (back, problems) = await rollout.returnAll(deploy, reason: "interrupted \(deploy.kind) rolled back")
        guard problems.isEmpty else {
            throw CloudError("app \(deploy.app): the interrupted \(deploy.kind) of \(deploy.release) could not be rolled back:\n"
                             + problems.joined(separator: "\n"))
        }
        try store.end(deploy: deploy.id!, as: .rolledBack, keeping: deploy.kind == "deploy" ? deploy.releaseRecord : nil)
        record("deploy.rolledback", cluster: deploy.cluster, subject: deploy.app,
               detail: "interrupted \(deploy.kind) of \(deploy.release) rolled back to \(deploy.from ?? "no release") (\(back) instance(s) moved)")
    }

    /// Settles the app's interrupted rollout for `recipe run`: `finish` resumes it (its ref is the
    /// declared one), else it is rolled back. Answers the hooks that failed on the way.
    func settle(cluster: String, app name: String, finish: Bool, hooks: (any LifecycleHooks)?,
                options: ApplyOptions) async throws -> [HookFailure] {
        guard let (open, _) = try store.unfinishedDeploy(cluster: cluster, app: name) else { return [] }
        let spec = try store.cluster(cluster).map { try $0.declaration() }
        let layers = Set(spec?.layers.filter { $0.apps.contains(name) }.map(\.name) ?? [])
        guard let spec, let app = spec.apps[name],
              try await listInstances(cluster: cluster, layer: nil).contains(where: { layers.contains($0.layer) && $0.state == .online }) else {
            // no longer declared (its service went with the declaration), or no instance that runs it is left
            try store.end(deploy: open.id!, as: .abandoned, keeping: nil)
            return []
        }
        if finish {
            return try await deploy(cluster: cluster, app: name, ref: open.ref, batch: "1", hooks: hooks, options: options).failures
        }
        let rollout = try await Rollout(engine: self, spec: spec, app: app, hooks: hooks, options: options)
        try await rollBack(open, rollout)
        return rollout.hooks.failures.value
    }

    /// The cluster's interrupted rollouts with what each instance they name runs now.
    public func unfinishedDeploys(cluster: String) async throws -> [UnfinishedDeploy] {
        let open = try store.unfinishedDeploys(cluster: cluster)
        guard !open.isEmpty else { return [] }
        let instances = Dictionary(try await listInstances(cluster: cluster, layer: nil).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var result: [UnfinishedDeploy] = []
        for (deploy, targets) in open {
            let running = await withTaskGroup(of: (DeployTarget, String??).self) { tasks in
                for target in targets {
                    tasks.addTask {
                        guard let instance = instances[target.instance], instance.state == .online else { return (target, nil) }
                        return (target, .some(try? await Releases.current(of: deploy.app, engine: self, on: instance)))
                    }
                }
                var running: [(DeployTarget, String??)] = []
                for await one in tasks { running.append(one) }
                return running.sorted { $0.0.name < $1.0.name }
            }
            var view = UnfinishedDeploy(deploy)
            for (target, runs) in running {
                guard let runs else { view.gone.append(target.name); continue }
                if runs == deploy.release { view.on.append(target.name) } else { view.off.append(target.name) }
                if target.mayBeDrained { view.drained.append(target.name) }
            }
            result.append(view)
        }
        return result
    }
}

extension DeployRecord {
    /// The release this rollout makes, as the releases history keeps it.
    var releaseRecord: ReleaseRecord {
        ReleaseRecord(cluster: cluster, app: app, release: release, sha: sha, ref: ref, archive: archive, state: .current)
    }
}
