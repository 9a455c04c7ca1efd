import Foundation

/// Who is asking: what every event's actor names and what `Access.decide` judges.
public enum Identity: Sendable, Equatable {
    /// The local CLI on the home's machine: its owner, who may do everything.
    case owner
    /// `recipe serve`'s own work (hooks, timers, alarms) on the owner's recipes.
    case scheduler
    /// An instance's agent: it reaches the agents' routes only, never the API's verbs.
    case agent(instanceID: String)
    /// A user, authenticated some other way than a token, with their grants.
    case user(UserAccount, grants: [GrantRecord])
    /// A user through one of their tokens (which may be read-only, expired or revoked).
    case token(TokenRecord, user: UserAccount, grants: [GrantRecord])

    /// The actor events record: `owner`, `scheduler`, `agent:i-…`, `user:alice`, `token:alice…x9Qk`.
    public var actor: String {
        switch self {
        case .owner: return "owner"
        case .scheduler: return "scheduler"
        case .agent(let id): return "agent:\(id)"
        case .user(let user, _): return "user:\(user.name)"
        case .token(let token, _, _): return token.actor
        }
    }
}
