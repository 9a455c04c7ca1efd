import Cloud
import Engine
import Foundation
import RecipeRuntime
import Store

/// Clusters: their status, destroying one, scaling a layer, metrics, usage and grants.
extension API {
    var clusterRoutes: [APIRoute] {
        [
            APIRoute(.get, "/api/v1/clusters", .action(.status)) { try await $0.api.listClusters($0) },
            APIRoute(.get, "/api/v1/clusters/{cluster}", .action(.status)) { call in
                try await call.api.statusReport([call.cluster], engine: call.engine)
            },
            APIRoute(.delete, "/api/v1/clusters/{cluster}", .action(.destroy)) { try await $0.api.destroy($0) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/layers/{layer}/scale", .action(.scale)) { try await $0.api.scale($0) },
            APIRoute(.get, "/api/v1/clusters/{cluster}/metrics", .action(.status)) { try await $0.api.metrics($0) },
            APIRoute(.get, "/api/v1/clusters/{cluster}/usage", .action(.status)) { call in
                _ = try call.requireCluster()
                return try call.api.usage(call, cluster: call.cluster)
            },
            APIRoute(.get, "/api/v1/usage", .action(.accounting)) { try $0.api.usage($0, cluster: nil) },
        ]
    }

    /// Every cluster the caller may see, as `recipe status --json` prints them.
    func listClusters(_ call: APICall) async throws -> APIAnswer {
        let names = try store.clusters().map(\.name).filter { Access.decide(call.identity, .status, cluster: $0).isAllowed }
        return try await statusReport(names, engine: call.engine)
    }

    func statusReport(_ names: [String], engine: Engine) async throws -> APIAnswer {
        var clusters: [ClusterStatus] = []
        let lastEvent = try store.lastEventID()
        for name in names {
            clusters += try await statuses.status(of: name, lastEvent: lastEvent) { try await engine.status(cluster: name) }
        }
        return try .document(StatusReport(clusters: clusters, home: DiskSpace.of(store.home.path).map(StatusReport.HomeDisk.init)))
    }

    func destroy(_ call: APICall) async throws -> APIAnswer {
        let engine = call.engine
        let inventory = try await engine.inventory(cluster: call.cluster)
        guard try store.cluster(call.cluster) != nil || !inventory.instances.isEmpty || !inventory.volumes.isEmpty else {
            throw APIProblem(404, "no cluster named \(call.cluster)")
        }
        let report = try await engine.destroy(cluster: call.cluster, deleteSnapshots: try call.flag("delete_snapshots"))
        return try .document(APIDocuments.Destroyed(cluster: call.cluster, report))
    }

    struct ScaleRequest: Decodable {
        /// A count, or `+N` / `-N` from the recorded one.
        var count: String
    }

    func scale(_ call: APICall) async throws -> APIAnswer {
        let request = try call.decode(ScaleRequest.self)
        _ = try call.requireCluster()
        let (cluster, layer, engine) = (call.cluster, call.parameter("layer"), call.engine)
        let report = try await RecordedRecipe.withHooks(engine: engine, cluster: cluster, warn: log) { hooks in
            try await engine.scale(cluster, layer: layer, to: request.count, hooks: hooks)
        }
        let count = try store.cluster(cluster).flatMap { try $0.declaration().layer(layer)?.count } ?? 0
        return try .document(APIDocuments.Converged(report, cluster: cluster, layer: layer, count: count))
    }

    struct MetricSampleDocument: Codable {
        var instance: String
        var time: Double
        var name: String
        var value: Double
    }

    /// Every sample since `since` (10m), oldest first, as `recipe metrics --json` prints them.
    func metrics(_ call: APICall) async throws -> APIAnswer {
        let seconds: Double
        do { seconds = try Interval.seconds(call.query["since"] ?? "10m") } catch { throw APIProblem(400, "since: \(error)") }
        let instances = try await call.engine.listInstances(cluster: call.cluster, layer: call.query["layer"])
        guard try !instances.isEmpty || store.cluster(call.cluster) != nil else { throw APIProblem(404, "no cluster named \(call.cluster)") }
        let names = Dictionary(instances.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let samples = try store.metricSamples(instances: instances.map(\.id), name: call.query["name"], since: Date().addingTimeInterval(-seconds))
        return try .document(samples.map {
            MetricSampleDocument(instance: names[$0.instance] ?? $0.instance, time: $0.time.timeIntervalSince1970, name: $0.name, value: $0.value)
        })
    }

    /// `recipe usage --json` for one cluster, or every one.
    func usage(_ call: APICall, cluster: String?) throws -> APIAnswer {
        let (from, to): (Date, Date)
        let dimension: Usage.Dimension
        do {
            (from, to) = try Usage.window(month: call.query["month"], since: call.query["since"], until: call.query["until"])
            dimension = try Usage.dimension(call.query["by"] ?? "cluster")
        } catch { throw APIProblem(400, "\(error)") }
        let table = try PriceTable.load(StdlibLocator.find().appendingPathComponent("prices/ec2-on-demand.csv"))
        let report = try call.engine.usage(cluster: cluster, since: from, until: to, by: dimension, prices: table)
        return try .document(report.document(pricesAsOf: table.asOf))
    }
}
