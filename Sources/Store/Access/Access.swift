import Foundation

/// The one rule for who may do what: values in, decision out, no I/O. Every API route calls it
/// with the caller's identity, its verb and the cluster it touches (nil for global verbs).
///
/// Levels are OpsWorks': show reads (status, plan); deploy adds deploy, rollback and undeploy;
/// manage adds run, scale, clone, destroy and grants on that cluster; admin is global and may
/// do everything, including creating clusters and managing users, tokens and secrets. A user
/// without a grant on a cluster has `deny` there. A read-only token masks its user down to show.
public enum Access {
    public static func decide(_ identity: Identity, _ action: AccessAction, cluster: String?, now: Date = Date()) -> AccessDecision {
        switch identity {
        case .owner, .scheduler:
            return .allowed
        case .agent:
            return .refused(status: 403, reason: "\(identity.actor) is an agent: agents reach the agents' routes only")
        case .user(let user, let grants):
            return decide(user: user, grants: grants, readOnly: false, actor: identity.actor, action, cluster)
        case .token(let token, let user, let grants):
            if let problem = token.problem(at: now) { return .refused(status: 401, reason: problem) }
            return decide(user: user, grants: grants, readOnly: token.readOnly, actor: identity.actor, action, cluster)
        }
    }

    /// The level `grants` give on `cluster` (deny without one).
    public static func level(on cluster: String, _ grants: [GrantRecord]) -> AccessLevel {
        grants.first { $0.cluster == cluster }.flatMap { AccessLevel(rawValue: $0.level) } ?? .deny
    }

    private static func decide(user: UserAccount, grants: [GrantRecord], readOnly: Bool, actor: String,
                               _ action: AccessAction, _ cluster: String?) -> AccessDecision {
        // read-only first: even an admin's read-only token changes nothing and has no admin's reads
        if readOnly && (action.changes || action.need == .admin) {
            let needed = { if case .level(let level) = action.need { return level.rawValue } else { return "admin" } }()
            return .refused(status: 403, reason: "\(action.rawValue) needs \(needed); \(actor) is read-only (show at most)")
        }
        if user.admin { return .allowed }
        switch action.need {
        case .admin:
            return .refused(status: 403, reason: "\(action.rawValue) needs admin; \(actor) is not an admin")
        case .level(let needed):
            guard let cluster else {
                // a listing: the route shows only the clusters `decide(.status, cluster:)` allows
                if action == .status { return .allowed }
                return .refused(status: 403, reason: "\(action.rawValue) needs a cluster")
            }
            let has = level(on: cluster, grants)
            if has >= needed { return .allowed }
            return .refused(status: 403, reason: "\(action.rawValue) on cluster \(cluster) needs \(needed.rawValue); \(actor) has \(has.rawValue)")
        }
    }
}
