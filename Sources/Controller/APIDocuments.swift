import Cloud
import Engine
import Foundation
import Store

/// The API's answers that are not an Engine or Store document: the controller encodes them, the
/// CLI's client decodes them, and the local commands build the same values from their results,
/// so one rendering serves both.
public enum APIDocuments {
    /// A hook that failed on the way.
    public struct Failure: Codable, Sendable {
        public var kind, cluster, instance, message: String

        public init(_ failure: HookFailure) {
            (kind, cluster, instance, message) = (failure.kind.rawValue, failure.cluster, failure.instance, failure.message)
        }

        public var hookFailure: HookFailure {
            HookFailure(kind: HookKind(rawValue: kind) ?? .setup, cluster: cluster, instance: instance, message: message)
        }
    }

    /// POST …/deploy and …/rollback.
    public struct Deploy: Codable, Sendable {
        public var app, release, ref, sha: String
        public var instances: [String]
        public var failures: [Failure]

        public init(app: String, _ report: DeployReport) {
            (self.app, release, ref, sha, instances) = (app, report.release, report.ref, report.sha, report.instances)
            failures = report.failures.map(Failure.init)
        }
    }

    /// POST …/instances/{instance}/stop and start.
    public struct InstanceChanged: Codable, Sendable {
        public var cluster, instance, id, layer, done: String
        public var failures: [Failure]

        public init(_ instance: Instance, done: String, failures: [HookFailure]) {
            (cluster, self.instance, id, layer, self.done) = (instance.cluster, instance.name, instance.id, instance.layer, done)
            self.failures = failures.map(Failure.init)
        }
    }

    /// POST …/undeploy.
    public struct Undeployed: Codable, Sendable {
        public var app: String
        public var instances: [String]

        public init(app: String, instances: [String]) { (self.app, self.instances) = (app, instances) }
    }

    /// DELETE /clusters/{cluster}.
    public struct Destroyed: Codable, Sendable {
        public var cluster: String
        public var instances, volumes, addresses: Int
        public var deleted_snapshots: [String]
        public var kept_snapshots: [String]

        public init(cluster: String, _ report: DestroyReport) {
            self.cluster = cluster
            (instances, volumes, addresses) = (report.inventory.instances.count, report.inventory.volumes.count, report.inventory.addresses.count)
            (deleted_snapshots, kept_snapshots) = (report.deletedSnapshots.map(\.id), report.keptSnapshots.map(\.id))
        }
    }

    /// POST …/layers/{layer}/scale, and what a run changed in a cluster.
    public struct Converged: Codable, Sendable {
        public var cluster: String
        public var layer: String?
        public var count: Int?
        public var changed: Bool
        public var launched: [String]
        public var terminated: [String]
        public var online: [String]
        public var failures: [Failure]

        public init(_ report: ConvergeReport, cluster: String, layer: String? = nil, count: Int? = nil) {
            (self.cluster, self.layer, self.count, changed) = (cluster, layer, count, report.changed)
            (launched, terminated, online) = (report.launched.map(\.name), report.terminated, report.online)
            failures = report.failures.map(Failure.init)
        }
    }

    /// POST /recipes/plan and /recipes/run: each cluster's plan, what a run changed, what the recipe logged.
    public struct Run: Codable, Sendable {
        public struct Cluster: Codable, Sendable {
            public var name: String
            public var add, change, destroy: Int
            public var steps: [Plan.Step]
            public var report: Converged?

            public init(name: String, _ plan: Plan, report: Converged?) {
                (self.name, add, change, destroy, steps, self.report) = (name, plan.adds, plan.changes, plan.destroys, plan.steps, report)
            }
        }

        public var clusters: [Cluster]
        public var changes: Bool
        public var output: [String]
        public var failures: [Failure]

        public init(clusters: [Cluster], changes: Bool, output: [String], failures: [Failure]) {
            (self.clusters, self.changes, self.output, self.failures) = (clusters, changes, output, failures)
        }
    }

    /// POST /tokens: the secret, shown once.
    public struct CreatedToken: Codable, Sendable {
        public var secret: String
        public var token: TokenListing

        public init(secret: String, token: TokenListing) { (self.secret, self.token) = (secret, token) }
    }

    /// GET /whoami.
    public struct WhoAmI: Codable, Sendable {
        public var actor: String
        public var user: String?
        public var admin: Bool
        public var read_only: Bool
        public var grants: [UserListing.Grant]

        /// Who `identity` is, as `GET /whoami` answers.
        public init(_ identity: Identity) {
            actor = identity.actor
            switch identity {
            case .token(let token, let user, let grants):
                (self.user, admin, read_only, self.grants) = (user.name, user.admin, token.readOnly, grants.map(UserListing.Grant.init))
            case .user(let user, let grants):
                (self.user, admin, read_only, self.grants) = (user.name, user.admin, false, grants.map(UserListing.Grant.init))
            default:
                (user, admin, read_only, grants) = (nil, false, false, [])
            }
        }
    }

    /// A change with nothing to show but that it was made (`{"done": "…"}`).
    public struct Done: Codable, Sendable {
        public var done: String

        public init(done: String) { self.done = done }
    }

    public struct SecretName: Codable, Sendable {
        public var name: String

        public init(name: String) { self.name = name }
    }
}
