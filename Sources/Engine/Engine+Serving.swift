import Cloud
import Foundation

/// Whether instances serve: each service with a port listens, each deployed app answers its
/// health URL. The checks come from the declaration; the provider probes them.
extension Engine {
    /// What an instance of each layer of `spec` must answer: the layer's services with a port,
    /// and the health URL of each of its apps that has a release (each release read once).
    func serviceChecks(_ spec: ClusterSpec) throws -> [String: [ServiceCheck]] {
        var released: [String: Bool] = [:]
        for (name, app) in spec.apps where app.deployable {
            released[name] = try store.currentRelease(cluster: spec.name, app: name) != nil
        }
        var byLayer: [String: [ServiceCheck]] = [:]
        for layer in spec.layers {
            var checks: [ServiceCheck] = layer.services.compactMap { service in
                guard let port = service.port else { return nil }
                return service.health.map { .service(service.name, port: port, path: $0) } ?? .port(service: service.name, port: port)
            }
            for name in layer.apps where released[name] == true {
                guard let app = spec.apps[name] else { continue }
                checks.append(.app(name, port: app.port, path: app.health))
            }
            byLayer[layer.name] = checks
        }
        return byLayer
    }

    /// Waits until every online instance answers its checks, or throws after `timeout` seconds
    /// naming what did not answer (`shop does not serve after 30 s: lb-1: service haproxy: port
    /// 8080 not listening`).
    func waitServing(_ spec: ClusterSpec, timeout: Double) async throws {
        let provider = try provider(for: spec)
        let online = try await provider.describe(cluster: spec.name).instances.filter { $0.state == .online }
        let checks = try serviceChecks(spec)
        var waiting = online.map { ($0, checks[$0.layer] ?? []) }.filter { !$0.1.isEmpty }
        let deadline = Date().addingTimeInterval(timeout)
        while !waiting.isEmpty {
            var failing: [(Instance, [ServiceCheck], [String])] = []
            for (instance, checks) in waiting {
                let failed = await provider.failedChecks(checks, on: instance)
                if !failed.isEmpty { failing.append((instance, checks, failed)) }
            }
            if failing.isEmpty { return }
            if Date() >= deadline {
                let what = failing.sorted { $0.0.name < $1.0.name }
                    .map { "\($0.0.name): \($0.2.joined(separator: ", "))" }.joined(separator: "; ")
                throw CloudError("\(spec.name) does not serve after \(Int(timeout)) s: \(what)")
            }
            waiting = failing.map { ($0.0, $0.1) }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// The health the provider tells, and for an instance it calls healthy, the checks that fail:
    /// `unhealthy: service haproxy: port 8080 not listening`.
    func health(of instance: Instance, agent: AgentReport?, checks: [ServiceCheck], provider: any CloudProvider) async -> String {
        let health = provider.health(instance, agent: agent)
        guard health == "healthy", instance.state == .online, !checks.isEmpty else { return health }
        let failed = await provider.failedChecks(checks, on: instance)
        return failed.isEmpty ? health : "unhealthy: " + failed.joined(separator: "; ")
    }
}
