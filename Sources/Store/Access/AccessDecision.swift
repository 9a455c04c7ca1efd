/// What `Access.decide` answers: allowed, or refused with the HTTP status the API sends
/// (401: the token is no good; 403: the identity may not) and a reason a user can act on.
public enum AccessDecision: Sendable, Equatable {
    case allowed
    case refused(status: Int, reason: String)

    public var isAllowed: Bool { self == .allowed }

    public var status: Int {
        switch self {
        case .allowed: return 200
        case .refused(let status, _): return status
        }
    }
}
