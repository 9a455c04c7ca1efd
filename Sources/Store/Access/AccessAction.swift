/// The API's verbs, each one thing a route asks `Access.decide` about.
public enum AccessAction: String, Sendable, CaseIterable {
    case status, plan, run, deploy, rollback, undeploy, scale, clone, destroy, grant
    case users, tokens, secrets
    case createCluster = "create cluster"
    case accounting = "usage of every cluster"

    /// What an identity needs: a level on the cluster, or admin.
    public enum Need: Sendable, Equatable {
        case level(AccessLevel)
        case admin
    }

    public var need: Need {
        switch self {
        case .status, .plan: return .level(.show)
        case .deploy, .rollback, .undeploy: return .level(.deploy)
        case .run, .scale, .clone, .destroy, .grant: return .level(.manage)
        case .users, .tokens, .secrets, .createCluster, .accounting: return .admin
        }
    }

    /// Whether the action changes something (a read-only token is refused it).
    public var changes: Bool { self != .status && self != .plan && self != .accounting }
}
