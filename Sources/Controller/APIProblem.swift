import Cloud
import Engine
import Foundation
import Hummingbird
import LuaKit
import Store

/// An answer other than success: its status and a message a user can act on, the same text the
/// CLI prints for the same failure. The body is `{"status": 403, "error": "..."}`.
public struct APIProblem: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    /// The status the API gives an error from below (the engine, the Store, the Lua runtime):
    /// 400 a recipe's own error (file:line), 404 a thing that does not exist, 409 a held lock,
    /// 422 a request the engine refused.
    public init(_ error: any Error) {
        switch error {
        case let problem as APIProblem:
            self = problem
        case let failure as AuthenticationFailure:
            self.init(401, failure.reason)
        case let lua as LuaError:
            self.init(400, lua.message)
        case is DecodingError:
            self.init(400, "the request's body is not the JSON this route takes: \(Self.decodingReason(error))")
        default:
            let text = "\(error)"
            if text.contains(" is locked by ") {
                self.init(409, text)
            } else if Self.notFound(text) {
                self.init(404, text)
            } else {
                self.init(422, text)
            }
        }
    }

    /// The engine's and the Store's "no cluster named shop", "no user named bob", "no token with id …",
    /// "cluster shop has no instance web-9".
    static func notFound(_ text: String) -> Bool {
        text.hasPrefix("no ") && (text.contains(" named ") || text.contains(" with id "))
            || [" has no layer ", " has no app ", " has no instance ", " has no service "].contains { text.contains($0) }
    }

    static func decodingReason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
            return keys.isEmpty ? "" : "\(keys): "
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context))'\(key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return path(context) + context.debugDescription
        @unknown default: return "\(error)"
        }
    }

    struct Body: Encodable {
        var status: Int
        var error: String
    }

    public var response: Response {
        let data = (try? JSONDocument.encode(Body(status: status, error: message), pretty: false)) ?? Data()
        var response = Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = "application/json"
        if status == 401 { response.headers[.wwwAuthenticate] = "Bearer realm=\"recipe\"" }
        return response
    }
}
