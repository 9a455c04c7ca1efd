import Cloud
import Engine
import Foundation
import Store

/// Output of services, hook runs, commands and deploys, as `recipe logs --json` prints it.
extension API {
    static let logPageLimit = 200

    var logRoutes: [APIRoute] {
        [APIRoute(.get, "/api/v1/clusters/{cluster}/logs", .action(.status)) { try await $0.api.logs($0) }]
    }

    struct LogsAnswer: Encodable {
        var entries: [LogEntry]
        var warnings: [String]
    }

    /// The newest `limit` entries (200 at most: a cluster may keep thousands, each up to 64 KiB).
    func logs(_ call: APICall) async throws -> APIAnswer {
        var query = LogQuery(cluster: call.cluster, instance: call.query["instance"], service: call.query["service"])
        if let kind = call.query["kind"] {
            guard let parsed = LogEntry.Kind(rawValue: kind) else {
                throw APIProblem(400, "kind: '\(kind)' is not one of \(LogEntry.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.kinds = [parsed]
        }
        if let since = call.query["since"] {
            do { query.since = try LogQuery.since(since) } catch { throw APIProblem(400, "\(error)") }
        }
        let limit = try call.integer("limit") ?? Self.logPageLimit
        guard (1...Self.logPageLimit).contains(limit) else { throw APIProblem(400, "limit must be 1 to \(Self.logPageLimit)") }
        query.limit = limit
        let page = try await call.engine.logPage(query)
        return try .document(LogsAnswer(entries: page.entries, warnings: page.warnings))
    }
}
