import Cloud
import Engine
import Foundation
import Store

/// One instance or volume at a time: stop, start and replace an instance (manage, as scaling
/// is), and snapshot a volume (manage), each with the hooks of the recipe that declared the cluster.
extension API {
    var instanceRoutes: [APIRoute] {
        [
            APIRoute(.post, "/api/v1/clusters/{cluster}/instances/{instance}/stop", .action(.scale)) { try await $0.api.stopInstance($0) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/instances/{instance}/start", .action(.scale)) { try await $0.api.startInstance($0) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/instances/{instance}/replace", .action(.scale)) { try await $0.api.replaceInstance($0) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/volumes/{volume}/snapshot", .action(.run)) { try await $0.api.snapshotVolume($0) },
        ]
    }

    /// The path's `{instance}`, by name or id, among the cluster's instances (404 otherwise).
    func pathInstance(_ call: APICall) async throws -> Instance {
        _ = try call.requireCluster()
        let wanted = call.parameter("instance")
        guard let found = try await call.engine.listInstances(cluster: call.cluster, layer: nil)
            .first(where: { $0.name == wanted || $0.id == wanted }) else {
            throw APIProblem(404, "cluster \(call.cluster) has no instance \(wanted)")
        }
        return found
    }

    func stopInstance(_ call: APICall) async throws -> APIAnswer {
        let instance = try await pathInstance(call)
        let failures = try await withHooks(call) { engine, hooks in try await engine.stop(instance: instance.id, hooks: hooks) }
        return try .document(APIDocuments.InstanceChanged(instance, done: "stopped", failures: failures))
    }

    /// Started, then set up again from the recorded declaration, as a run would: back online.
    func startInstance(_ call: APICall) async throws -> APIAnswer {
        let instance = try await pathInstance(call)
        let report = try await withHooks(call) { engine, hooks in
            try await engine.start(instance: instance.id)
            return try await engine.reconverge(instance.cluster, hooks: hooks)
        }
        return try .document(APIDocuments.InstanceChanged(instance, done: "started", failures: report.failures))
    }

    /// Terminated, then its slot launched again from the recorded declaration (its volumes
    /// reattached, as healing does).
    func replaceInstance(_ call: APICall) async throws -> APIAnswer {
        let instance = try await pathInstance(call)
        let report = try await withHooks(call) { engine, hooks in
            let failures = try await engine.terminate(instance: instance.id, hooks: hooks)
            var report = try await engine.reconverge(instance.cluster, hooks: hooks)
            report.failures = failures + report.failures
            return report
        }
        return try .document(APIDocuments.Converged(report, cluster: call.cluster, layer: instance.layer))
    }

    func snapshotVolume(_ call: APICall) async throws -> APIAnswer {
        _ = try call.requireCluster()
        let wanted = call.parameter("volume")
        guard let volume = try await call.engine.listVolumes(cluster: call.cluster).first(where: { $0.id == wanted }) else {
            throw APIProblem(404, "cluster \(call.cluster) has no volume \(wanted)")
        }
        return try .document(try await call.engine.snapshot(volume: volume.id, cluster: call.cluster), status: .created)
    }
}
