import Cloud
import Foundation
import Store

/// What a deploy did.
public struct DeployReport: Sendable {
    public var release: String
    public var sha: String
    public var instances: [String]
}

/// Rolling, health-gated releases of an app over the instances of the layers that run it.
/// Everything on an instance goes through `run`, so it is recorded and provider-neutral.
extension Engine {
    public func appSpec(cluster: String, app: String) throws -> (ClusterSpec, AppSpec) {
        guard let record = try store.cluster(cluster) else { throw CloudError("no cluster named \(cluster)") }
        let spec = try JSONDecoder().decode(ClusterSpec.self, from: Data(record.spec.utf8))
        guard let json = spec.apps[app] else {
            throw CloudError("cluster \(cluster) has no app \(app) (apps: \(spec.apps.keys.sorted().joined(separator: ", ")))")
        }
        return (spec, try AppSpec(name: app, json: json))
    }

    /// Deploys `ref` (default: the app's) in batches (a count, or "25%"); a failed health check
    /// returns every touched instance to its previous release and names the instance and its log.
    public func deploy(cluster: String, app name: String, ref: String? = nil, batch: String = "1") async throws -> DeployReport {
        let (spec, app) = try appSpec(cluster: cluster, app: name)
        let ref = ref ?? app.ref
        let (sha, archive) = try await GitSource(cache: store.home.appendingPathComponent("cache"))
            .export(source: app.source, ref: ref, app: name)
        let targets = try await appInstances(spec, app)
        guard !targets.isEmpty else { throw CloudError("app \(name): no online instance of \(cluster) runs it") }
        let release = "\(Self.stamp())-\(sha.prefix(12))"
        record("deploy.started", cluster: cluster, subject: name, detail: "\(ref) \(sha.prefix(12)) to \(targets.count) instances")
        var touched: [(Instance, String?)] = []
        for group in Self.batches(targets, batch) {
            let results = try await all(group.map { instance in {
                let previous = try await self.currentTarget(instance, app)
                do {
                    try await self.install(release, archive: archive, on: instance, app)
                    try await self.activate(release, on: instance, app)
                    return (instance, previous, nil as String?)
                } catch {
                    return (instance, previous, "\(error)")
                }
            } })
            touched += results.map { ($0.0, $0.1) }
            if let failure = results.first(where: { $0.2 != nil }) {
                try await restore(touched, app)
                record("deploy.failed", cluster: cluster, subject: name, detail: "\(failure.0.name): \(failure.2!)", result: "failed")
                try? store.record(release: ReleaseRecord(cluster: cluster, app: name, release: release, sha: sha, ref: ref,
                                                         archive: archive.path, state: .failed))
                throw CloudError("deploy of \(name) \(ref) stopped: \(failure.0.name) \(failure.2!); "
                                 + "\(touched.count) instance(s) returned to their previous release")
            }
        }
        for instance in targets { try await prune(instance, app) }
        try store.record(release: ReleaseRecord(cluster: cluster, app: name, release: release, sha: sha, ref: ref,
                                                archive: archive.path, state: .current))
        record("deploy.finished", cluster: cluster, subject: name, detail: "\(release) on \(targets.count) instances")
        return DeployReport(release: release, sha: sha, instances: targets.map(\.name))
    }

    /// Back `steps` releases on every instance, health-checked like a deploy.
    public func rollback(cluster: String, app name: String, steps: Int = 1) async throws -> ReleaseRecord {
        let (spec, app) = try appSpec(cluster: cluster, app: name)
        let history = try store.releases(cluster: cluster, app: name).filter { $0.state != .failed }
        guard let index = history.firstIndex(where: { $0.state == .current }), index + steps < history.count else {
            throw CloudError("app \(name) has no release \(steps) step(s) before the current one")
        }
        let target = history[index + steps]
        let instances = try await appInstances(spec, app)
        try await all(instances.map { instance in {
            try await self.install(target.release, archive: URL(fileURLWithPath: target.archive), on: instance, app)
            try await self.activate(target.release, on: instance, app)
        } })
        try store.makeCurrent(target.id!, cluster: cluster, app: name)
        record("deploy.rolledback", cluster: cluster, subject: name, detail: "to \(target.release) (\(target.ref))")
        return target
    }

    /// Gives a newcomer the app's current release, before its deploy hooks run.
    func installCurrent(_ app: AppSpec, on instance: Instance) async throws {
        guard let current = try store.currentRelease(cluster: instance.cluster, app: app.name) else { return }
        try await install(current.release, archive: URL(fileURLWithPath: current.archive), on: instance, app)
        try await activate(current.release, on: instance, app, restart: false)
    }

    // MARK: - On one instance

    private func appInstances(_ spec: ClusterSpec, _ app: AppSpec) async throws -> [Instance] {
        let layers = Set(spec.layers.filter { $0.apps.contains(app.name) }.map(\.name))
        return try await listInstances(cluster: spec.name, layer: nil)
            .filter { layers.contains($0.layer) && $0.state == .online }.sorted { $0.name < $1.name }
    }

    private func shell(_ instance: Instance, _ command: String) async throws -> CommandResult {
        try await run(on: instance.id, command: command, timeout: 120)
    }

    private func currentTarget(_ instance: Instance, _ app: AppSpec) async throws -> String? {
        let out = try await shell(instance, "readlink \(app.folder)/current || true").stdout.trimmed
        return out.isEmpty ? nil : out
    }

    private func install(_ release: String, archive: URL, on instance: Instance, _ app: AppSpec) async throws {
        let dir = "\(app.folder)/releases/\(release)"
        let result = try await shell(instance, "test -d \(dir) || { mkdir -p \(dir).part && tar -xf '\(archive.path)' -C \(dir).part && mv \(dir).part \(dir); }")
        guard result.code == 0 else { throw CloudError("could not unpack \(release): \(result.stderr.trimmed)") }
    }

    /// Switches `current` atomically, restarts the app and waits for its health check.
    private func activate(_ release: String, on instance: Instance, _ app: AppSpec, restart: Bool = true) async throws {
        let switched = try await shell(instance, "ln -sfn releases/\(release) \(app.folder)/current.new && mv -T \(app.folder)/current.new \(app.folder)/current")
        guard switched.code == 0 else { throw CloudError("could not switch to \(release): \(switched.stderr.trimmed)") }
        guard restart else { return }
        // the agent restarts the service at once when it finds the request (the command's parent is the agent)
        _ = try await shell(instance, "mkdir -p run && touch run/restart-app-\(app.name) && kill -USR1 $PPID")
        try await waitHealthy(instance, app)
    }

    private func waitHealthy(_ instance: Instance, _ app: AppSpec) async throws {
        let timeout = app.healthTimeout
        let deadline = Date().addingTimeInterval(timeout)
        let check = "curl -sf -o /dev/null --max-time 2 http://$ADDRESS:\(app.port)\(app.health)"
        // give the old process time to go, so the check does not answer from it
        try await Task.sleep(nanoseconds: 300_000_000)
        while Date() < deadline {
            if try await shell(instance, check).code == 0 { return }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let tail = try await shell(instance, "tail -n 15 var/log/app-\(app.name).log 2>/dev/null").stdout.trimmed
        throw CloudError("failed its health check (GET \(app.health) on port \(app.port)) within \(Int(timeout)) s; last log lines:\n\(tail)")
    }

    /// Back to what each touched instance ran before (or nothing, for a first deploy).
    private func restore(_ touched: [(Instance, String?)], _ app: AppSpec) async throws {
        try await all(touched.map { instance, previous in {
            if let previous {
                try await self.activate(String(previous.split(separator: "/").last!), on: instance, app)
            } else {
                _ = try await self.shell(instance, "rm -f \(app.folder)/current")
            }
        } })
    }

    private func prune(_ instance: Instance, _ app: AppSpec) async throws {
        _ = try await shell(instance, "cd \(app.folder)/releases && ls -1 | sort | head -n -\(app.keep) | xargs -r rm -rf")
    }

    static func batches(_ instances: [Instance], _ batch: String) -> [[Instance]] {
        let size: Int
        if batch.hasSuffix("%"), let percent = Double(batch.dropLast()) {
            size = max(1, Int((Double(instances.count) * percent / 100).rounded(.up)))
        } else {
            size = max(1, Int(batch) ?? 1)
        }
        return stride(from: 0, to: instances.count, by: size).map { Array(instances[$0..<min($0 + size, instances.count)]) }
    }

    static func stamp() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss.SSS"
        return f.string(from: Date())
    }
}
