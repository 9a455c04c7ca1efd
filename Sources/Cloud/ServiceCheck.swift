import Foundation

/// What an instance must answer to serve: a service's port listening on its address, or an HTTP
/// path answering (an app's health URL with a 2xx; a service's with anything but a server
/// error). The engine derives them from the declaration; a provider that can reach the
/// instance's network probes them (`CloudProvider.failedChecks`).
public enum ServiceCheck: Sendable, Equatable {
    case port(service: String, port: Int)
    /// `what` is `app shop` or `service haproxy`; `accepted` the status codes that answer.
    case http(what: String, port: Int, path: String, accepted: Range<Int>)

    /// An app's health URL: only a 2xx answers.
    public static func app(_ name: String, port: Int, path: String) -> ServiceCheck {
        .http(what: "app \(name)", port: port, path: path, accepted: 200..<300)
    }

    /// A service's health path: any answer but a server error (a balancer with no backend says 503).
    public static func service(_ name: String, port: Int, path: String) -> ServiceCheck {
        .http(what: "service \(name)", port: port, path: path, accepted: 200..<500)
    }

    /// `service haproxy: port 8080` / `app shop: GET /health`: what the check is, for messages.
    public var subject: String {
        switch self {
        case .port(let service, let port): return "service \(service): port \(port)"
        case .http(let what, _, let path, _): return "\(what): GET \(path)"
        }
    }
}
