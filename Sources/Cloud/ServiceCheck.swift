import Foundation

/// What an instance must answer to serve: a service's port listening on its address, or an
/// app's health URL answering 2xx. The engine derives them from the declaration; a provider
/// that can reach the instance's network probes them (`CloudProvider.failedChecks`).
public enum ServiceCheck: Sendable, Equatable {
    case port(service: String, port: Int)
    case http(app: String, port: Int, path: String)

    /// `service haproxy: port 8080` / `app shop: GET /health`: what the check is, for messages.
    public var subject: String {
        switch self {
        case .port(let service, let port): return "service \(service): port \(port)"
        case .http(let app, _, let path): return "app \(app): GET \(path)"
        }
    }
}
