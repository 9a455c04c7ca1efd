/// What went wrong talking to an EC2-compatible endpoint, phrased for the user. Never carries keys.
public enum AWSError: Error, CustomStringConvertible, Sendable {
    /// The endpoint answered with an error document.
    case api(endpoint: String, action: String, code: String, message: String, status: Int)
    /// Nothing usable came back after every retry.
    case unreachable(endpoint: String, action: String, attempts: Int, reason: String)
    case configuration(String)
    case malformed(endpoint: String, action: String, reason: String)

    public var code: String? {
        if case .api(_, _, let code, _, _) = self { return code }
        return nil
    }

    public var description: String {
        switch self {
        case .api(let endpoint, let action, let code, let message, let status):
            return "\(endpoint): \(action) failed with \(code) (HTTP \(status)): \(message)"
        case .unreachable(let endpoint, let action, let attempts, let reason):
            return "\(endpoint): \(action) got no answer after \(attempts) attempts: \(reason)"
        case .configuration(let message):
            return "EC2 configuration: \(message)"
        case .malformed(let endpoint, let action, let reason):
            return "\(endpoint): \(action) answered something that is not an EC2 response: \(reason)"
        }
    }

    /// Worth another try: throttling and the server's own trouble.
    var isRetryable: Bool {
        switch self {
        case .api(_, _, let code, _, let status):
            return status >= 500 || ["RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled",
                                     "ServiceUnavailable", "InternalError", "Unavailable"].contains(code)
        case .unreachable: return true
        default: return false
        }
    }
}
