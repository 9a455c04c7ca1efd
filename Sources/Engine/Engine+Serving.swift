import Cloud
import Foundation

/// Whether instances serve: each service with a port listens, each deployed app answers its
/// health URL. The checks come from the declaration; the provider probes them.
extension Engine {
    /// What an instance of `spec` must answer: its layer's services with a port, and the health
    /// URL of each of its apps that has a release.
    func serviceChecks(_ instance: Instance, spec: ClusterSpec) throws -> [ServiceCheck] {
        guard let layer = spec.layer(instance.layer) else { return [] }
        var checks: [ServiceCheck] = layer.services.compactMap { service in
            guard let port = service.port else { return nil }
            return service.health.map { .service(service.name, port: port, path: $0) } ?? .port(service: service.name, port: port)
        }
        for name in layer.apps {
            guard let app = spec.apps[name], app.deployable,
                  try store.currentRelease(cluster: spec.name, app: name) != nil else { continue }
            checks.append(.app(name, port: app.port, path: app.health))
        }
        return checks
    }

    /// Waits until every online instance answers its checks, or throws after `timeout` seconds
    /// naming what did not answer (`shop does not serve after 30 s: lb-1: service haproxy: port
    /// 8080 not listening`).
    func waitServing(_ spec: ClusterSpec, timeout: Double) async throws {
        let provider = try provider(for: spec)
        let online = try await provider.describe(cluster: spec.name).instances.filter { $0.state == .online }
        var waiting = try online.map { ($0, try serviceChecks($0, spec: spec)) }.filter { !$0.1.isEmpty }
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
    func health(of instance: Instance, agent: AgentReport?, spec: ClusterSpec?, provider: any CloudProvider) async -> String {
        let health = provider.health(instance, agent: agent)
        guard health == "healthy", instance.state == .online, let spec,
              let checks = try? serviceChecks(instance, spec: spec), !checks.isEmpty else { return health }
        let failed = await provider.failedChecks(checks, on: instance)
        return failed.isEmpty ? health : "unhealthy: " + failed.joined(separator: "; ")
    }
}
