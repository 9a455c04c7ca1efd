import Engine
import Foundation
import Store

/// The API's answers that are not an Engine or Store document, as the client reads them (the
/// controller's own types are its internals). The local commands build the same values from
/// their results, so one rendering serves both.
enum APIDocuments {
    /// A hook that failed on the way (`ConvergeSummary.Failure`).
    struct Failure: Codable {
        var kind, cluster, instance, message: String

        init(_ failure: HookFailure) {
            (kind, cluster, instance, message) = (failure.kind.rawValue, failure.cluster, failure.instance, failure.message)
        }

        var hookFailure: HookFailure {
            HookFailure(kind: HookKind(rawValue: kind) ?? .setup, cluster: cluster, instance: instance, message: message)
        }
    }

    /// POST …/deploy and …/rollback.
    struct Deploy: Codable {
        var app, release, ref, sha: String
        var instances: [String]
        var failures: [Failure]

        init(app: String, _ report: DeployReport) {
            (self.app, release, ref, sha, instances) = (app, report.release, report.ref, report.sha, report.instances)
            failures = report.failures.map(Failure.init)
        }
    }

    /// POST …/undeploy.
    struct Undeployed: Codable {
        var app: String
        var instances: [String]
    }

    /// DELETE /clusters/{cluster}.
    struct Destroyed: Codable {
        var cluster: String
        var instances, volumes, addresses: Int
        var deleted_snapshots: [String]
        var kept_snapshots: [String]
    }

    /// POST …/layers/{layer}/scale, and what a run changed in a cluster (`ConvergeSummary`).
    struct Converged: Codable {
        var cluster: String
        var layer: String?
        var count: Int?
        var changed: Bool
        var launched: [String]
        var terminated: [String]
        var online: [String]
        var failures: [Failure]

        init(_ report: ConvergeReport, cluster: String, layer: String?, count: Int?) {
            (self.cluster, self.layer, self.count, changed) = (cluster, layer, count, report.changed)
            (launched, terminated, online) = (report.launched.map(\.name), report.terminated, report.online)
            failures = report.failures.map(Failure.init)
        }
    }

    /// POST /recipes/plan and /recipes/run: each cluster's plan, what a run changed, what the recipe logged.
    struct Run: Decodable {
        struct Cluster: Decodable {
            var name: String
            var add, change, destroy: Int
            var steps: [Plan.Step]
            var report: Converged?
        }

        var clusters: [Cluster]
        var changes: Bool
        var output: [String]
        var failures: [Failure]
    }

    /// POST /tokens: the secret, shown once.
    struct CreatedToken: Decodable {
        var secret: String
        var token: TokenListing
    }

    /// GET /whoami.
    struct WhoAmI: Decodable {
        var actor: String
        var user: String?
        var admin: Bool
        var read_only: Bool
        var grants: [UserListing.Grant]
    }

    /// A change with nothing to show but that it was made (`{"done": "…"}`).
    struct Done: Decodable {
        var done: String
    }

    struct SecretName: Decodable {
        var name: String
    }
}
