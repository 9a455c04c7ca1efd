import Cloud
import Engine
import Foundation
import RecipeRuntime
import Store

/// An app's deploys: deploy, rollback, undeploy and its releases, with the hooks of the recipe
/// that declared the cluster, as `recipe deploy` runs them.
extension API {
    var appRoutes: [APIRoute] {
        [
            APIRoute(.get, "/api/v1/clusters/{cluster}/apps/{app}/releases", .action(.status)) { call in
                try .document(try await call.engine.releasesDocument(cluster: call.cluster, app: call.parameter("app")))
            },
            APIRoute(.post, "/api/v1/clusters/{cluster}/apps/{app}/deploy", .action(.deploy)) { try await $0.api.deploy($0) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/apps/{app}/rollback", .action(.rollback)) { try await $0.api.rollback($0) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/apps/{app}/undeploy", .action(.undeploy)) { try await $0.api.undeploy($0) },
        ]
    }

    struct DeployRequest: Decodable {
        var ref: String?
        var batch: String?
        var steps: Int?
    }

    func deploy(_ call: APICall) async throws -> APIAnswer {
        let request = try call.decode(DeployRequest.self)
        let (cluster, app) = (call.cluster, call.parameter("app"))
        var report = try await withHooks(call) { engine, hooks in
            try await engine.deploy(cluster: cluster, app: app, ref: request.ref, batch: request.batch ?? "1", hooks: hooks)
        }
        if report.ref.isEmpty { report.ref = try request.ref ?? call.engine.appSpec(cluster: cluster, app: app).1.ref }
        return try .document(APIDocuments.Deploy(app: app, report))
    }

    func rollback(_ call: APICall) async throws -> APIAnswer {
        let request = try call.decode(DeployRequest.self)
        let (cluster, app) = (call.cluster, call.parameter("app"))
        let report = try await withHooks(call) { engine, hooks in
            try await engine.rollback(cluster: cluster, app: app, steps: request.steps ?? 1, batch: request.batch ?? "1", hooks: hooks)
        }
        return try .document(APIDocuments.Deploy(app: app, report))
    }

    func undeploy(_ call: APICall) async throws -> APIAnswer {
        let (cluster, app) = (call.cluster, call.parameter("app"))
        let instances = try await withHooks(call) { engine, hooks in try await engine.undeploy(cluster: cluster, app: app, hooks: hooks) }
        return try .document(APIDocuments.Undeployed(app: app, instances: instances))
    }

    /// Runs `body` as the caller, with the hooks of the recipe that declared the cluster.
    func withHooks<T: Sendable>(_ call: APICall, _ body: @escaping @Sendable (Engine, (any LifecycleHooks)?) async throws -> T) async throws -> T {
        _ = try call.requireCluster()
        let engine = call.engine
        return try await RecordedRecipe.withHooks(engine: engine, cluster: call.cluster, warn: log) { hooks in try await body(engine, hooks) }
    }
}
