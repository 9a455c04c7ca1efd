import Cloud
import Engine
import Foundation
import Hummingbird
import Store

/// One request as a handler sees it: who asks (already allowed), the path's parameters, the
/// query, the body, and an engine that records this caller as the actor of what it changes.
struct APICall: Sendable {
    let identity: Identity
    let parameters: [String: String]
    let query: [String: String]
    /// Request headers by lower-case name.
    let headers: [String: String]
    let body: Data
    let api: API

    var store: Store { api.store }

    /// The engine acting as the caller: every event it records names them.
    var engine: Engine { api.makeEngine(identity.actor) }

    func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// The path's `{cluster}`.
    var cluster: String { parameter("cluster") }

    /// The body decoded as `T`; an empty body decodes as `{}`. A bad body is a 400 naming the field.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let data = body.isEmpty ? Data("{}".utf8) : body
        do {
            return try JSONDocument.decoder().decode(T.self, from: data)
        } catch {
            throw APIProblem(error)
        }
    }

    /// A query parameter as a whole number, or a 400 naming it.
    func integer(_ name: String) throws -> Int? {
        guard let text = query[name] else { return nil }
        guard let value = Int(text) else { throw APIProblem(400, "\(name): '\(text)' is not a whole number") }
        return value
    }

    /// A query flag: `true`/`1` or `false`/`0`, or a 400 naming it.
    func flag(_ name: String) throws -> Bool {
        guard let text = query[name] else { return false }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIProblem(400, "\(name): '\(text)' is not true or false")
        }
    }

    /// The cluster must be known to the state (404 otherwise, the CLI's words).
    func requireCluster() throws -> ClusterRecord {
        guard let record = try store.cluster(cluster) else { throw APIProblem(404, "no cluster named \(cluster)") }
        return record
    }
}
