import HTTPTypes
import Store

/// One route of the API: its method and path as the OpenAPI document writes them
/// (`/api/v1/clusters/{cluster}`), what it asks `Access.decide`, and its handler. The table
/// of them (`API.routes`) is what the router serves and what a test holds against the document.
public struct APIRoute: Sendable {
    public enum Guard: Sendable {
        /// Anyone, without a token: the OpenAPI document.
        case open
        /// Any identity with a good token (who am I).
        case signedIn
        /// `Access.decide` on the action, for the path's `{cluster}` (nil: a global route).
        case action(AccessAction)
        /// An instance's agent, by its own token: it speaks for that instance only.
        case agent
    }

    public let method: HTTPRequest.Method
    public let path: String
    public let guarding: Guard
    let handle: @Sendable (APICall) async throws -> APIAnswer

    init(_ method: HTTPRequest.Method, _ path: String, _ guarding: Guard, _ handle: @escaping @Sendable (APICall) async throws -> APIAnswer) {
        (self.method, self.path, self.guarding, self.handle) = (method, path, guarding, handle)
    }

    /// Whether it changes something (a plan is a POST that does not): a refusal of such a route
    /// is recorded as `api.refused`.
    public var changes: Bool { method != .get && method != .head && !path.hasSuffix("/plan") }

    /// The path in Hummingbird's syntax: `{cluster}` becomes `:cluster`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }
}
