import Cloud
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Store

/// Recipes over the API: plan or run the recipe a cluster was declared by, clone a cluster with
/// Recipes/clone.lua, and (admins) plan or run an uploaded recipe.
extension API {
    var recipeRoutes: [APIRoute] {
        [
            APIRoute(.post, "/api/v1/clusters/{cluster}/plan", .action(.plan)) { try await $0.api.recorded($0, mode: .plan) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/run", .action(.run)) { try await $0.api.recorded($0, mode: .apply) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/clone", .action(.clone)) { try await $0.api.clone($0) },
            APIRoute(.post, "/api/v1/recipes/plan", .action(.createCluster)) { try await $0.api.uploaded($0, mode: .plan) },
            APIRoute(.post, "/api/v1/recipes/run", .action(.createCluster)) { try await $0.api.uploaded($0, mode: .apply) },
        ]
    }

    func recorded(_ call: APICall, mode: RecipeOptions.Mode) async throws -> APIAnswer {
        let record = try call.requireCluster()
        guard let path = record.recipePath else { throw APIProblem(422, "cluster \(call.cluster) was not declared by a recipe file") }
        guard FileManager.default.fileExists(atPath: path) else { throw APIProblem(422, "cluster \(call.cluster): its recipe \(path) is gone") }
        return try await run(call, file: URL(fileURLWithPath: path), arguments: record.arguments, mode: mode)
    }

    struct CloneRequest: Decodable {
        var target: String
        var scale: Double?
        var data: String?
    }

    func clone(_ call: APICall) async throws -> APIAnswer {
        let request = try call.decode(CloneRequest.self)
        if let problem = Names.problem(request.target, as: .cluster) { throw APIProblem(422, "target: \(problem)") }
        _ = try call.requireCluster()
        let file = StdlibLocator.find().deletingLastPathComponent().appendingPathComponent("Recipes/clone.lua")
        guard FileManager.default.fileExists(atPath: file.path) else { throw APIProblem(500, "Recipes/clone.lua is not beside \(StdlibLocator.find().path)") }
        var arguments = ["from": call.cluster, "to": request.target, "data": request.data ?? "empty"]
        if let scale = request.scale { arguments["scale"] = "\(scale)" }
        return try await run(call, file: file, arguments: arguments, mode: .apply, clusters: [call.cluster, request.target])
    }

    struct UploadRequest: Decodable {
        /// The recipe's Lua text.
        var source: String
        /// Its file name, for error lines (`shop.lua:12: …`).
        var name: String?
        var arguments: [String: String]?
    }

    /// An uploaded recipe is kept in the home, by its digest, so hooks and `recipe serve` find it again.
    func uploaded(_ call: APICall, mode: RecipeOptions.Mode) async throws -> APIAnswer {
        let request = try call.decode(UploadRequest.self)
        let name = request.name ?? "recipe.lua"
        guard name.hasSuffix(".lua"), !name.contains("/"), Names.problem(String(name.dropLast(4)), as: .cluster) == nil else {
            throw APIProblem(422, "name: '\(name)' is not a recipe file name such as shop.lua")
        }
        let digest = Digest.sha256(Data(request.source.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        let folder = store.home.appendingPathComponent("uploads/\(digest)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(name)
        try Data(request.source.utf8).write(to: file, options: .atomic)
        return try await run(call, file: file, arguments: request.arguments ?? [:], mode: mode)
    }

    /// Plans the recipe; a run then checks the caller may run every cluster it declares before it applies.
    private func run(_ call: APICall, file: URL, arguments: [String: String], mode: RecipeOptions.Mode,
                     clusters allowed: Set<String>? = nil) async throws -> APIAnswer {
        let output = Locked<[String]>([])
        let engine = call.engine
        func runner(_ mode: RecipeOptions.Mode) -> RecipeRunner {
            RecipeRunner(engine: engine, options: RecipeOptions(arguments: arguments, mode: mode, printPlans: false),
                         output: { line in output.withLock { $0.append(line) } }, warn: { line in output.withLock { $0.append(line) } })
        }
        var summary = try await runner(.plan).run(file: file)
        if mode == .apply {
            for cluster in summary.clusters where !(allowed?.contains(cluster) ?? false) {
                if case .refused(let status, let reason) = Access.decide(call.identity, .run, cluster: cluster) {
                    throw APIProblem(status, "the recipe declares cluster \(cluster): \(reason)")
                }
            }
            output.withLock { $0 = [] }
            summary = try await runner(.apply).run(file: file)
        }
        let clusters = summary.clusters.compactMap { name -> APIDocuments.Run.Cluster? in
            guard let plan = summary.plans[name] else { return nil }
            return .init(name: name, plan, report: summary.reports[name].map { .init($0, cluster: name) })
        }
        return try .document(APIDocuments.Run(clusters: clusters, changes: summary.changes, output: output.value,
                                              failures: summary.failures.map(APIDocuments.Failure.init)))
    }
}
