import Store

/// An interrupted rollout as `plan`, `status` and `releases` show it.
public struct UnfinishedDeploy: Codable, Sendable, Equatable {
    public var app, kind, release, ref, sha, state: String
    public var source: String
    /// The release that was current when it began.
    public var from: String?
    /// Instances that run its release, instances that do not, and named instances that are gone.
    public var on: [String] = []
    public var off: [String] = []
    public var gone: [String] = []
    /// Instances a balancer may still hold out of rotation.
    public var drained: [String] = []

    init(_ deploy: DeployRecord) {
        (app, kind, release, ref, sha, state, source, from) = (deploy.app, deploy.kind, deploy.release, deploy.ref, deploy.sha,
                                                              deploy.state.rawValue, deploy.source, deploy.from)
    }

    /// Whether `recipe run` with this app declaration finishes it (else it rolls it back).
    public func finishedBy(_ app: AppSpec?) -> Bool {
        guard let app else { return false }
        return kind == "deploy" && state == DeployRecord.State.running.rawValue && app.source == source && app.ref == ref
    }

    /// `finish deploy v2 (R) on web-3, or roll back web-1, web-2; web-2 may be out of rotation`
    public var summary: String {
        let what = "\(kind) \(ref) (\(release))"
        let names = { (list: [String]) in list.joined(separator: ", ") }
        var text: String
        if off.isEmpty {
            text = "finish \(what): every instance runs it, not yet recorded as current; or roll back \(names(on))"
        } else if on.isEmpty {
            text = "finish \(what) on \(names(off)) (interrupted before any instance switched), or drop it"
        } else {
            text = "finish \(what) on \(names(off)), or roll back \(names(on))"
        }
        if state == DeployRecord.State.restoring.rawValue { text += "; it failed and was being rolled back" }
        if !drained.isEmpty { text += "; \(names(drained)) may be out of rotation" }
        if !gone.isEmpty { text += "; \(names(gone)) gone" }
        return text
    }
}
