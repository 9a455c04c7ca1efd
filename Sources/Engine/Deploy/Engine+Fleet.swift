import Cloud
import Foundation

/// What an app's instances run, read from each instance (its `current` link), not from the
/// releases history: `recipe releases` says what serves even after a rollout was interrupted.
public struct FleetMember: Sendable, Equatable {
    public var name: String
    /// nil: no release (or the instance could not be asked, then `reachable` is false).
    public var release: String?
    public var reachable: Bool
}

extension Engine {
    /// The online instances of the layers that declare `app`, by name, each with the release it runs.
    public func fleet(cluster: String, app: String) async throws -> [FleetMember] {
        let layers = Set(try store.cluster(cluster).flatMap { try? $0.declaration() }?.layers.filter { $0.apps.contains(app) }.map(\.name) ?? [])
        let instances = try await listInstances(cluster: cluster, layer: nil).filter { layers.contains($0.layer) && $0.state == .online }
        let members = await withTaskGroup(of: FleetMember.self) { tasks in
            for instance in instances {
                tasks.addTask {
                    do {
                        return FleetMember(name: instance.name, release: try await Releases.current(of: app, engine: self, on: instance), reachable: true)
                    } catch {
                        return FleetMember(name: instance.name, release: nil, reachable: false)
                    }
                }
            }
            var members: [FleetMember] = []
            for await member in tasks { members.append(member) }
            return members
        }
        return members.sorted { $0.name < $1.name }
    }
}
