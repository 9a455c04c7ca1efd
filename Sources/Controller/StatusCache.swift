import Cloud
import Engine
import Foundation

/// Clusters' status documents, each computed once for every request that asks within a second
/// and while no event was recorded: a status reads the provider and checks every instance's
/// health, and fifty clients polling one cluster should cost one of those, not fifty. A launch,
/// a stop, a deploy or a failure records an event, so the next request computes afresh;
/// heartbeats and samples are at most a second old.
final class StatusCache: Sendable {
    static let lifetime: TimeInterval = 1

    private struct Entry {
        let task: Task<[ClusterStatus], any Error>
        let lastEvent: Int64
        let at: Date
    }

    private let entries = Locked<[String: Entry]>([:])

    /// The status of `cluster` as of `lastEvent`: a fresh one being computed or computed, else a new one.
    func status(of cluster: String, lastEvent: Int64, now: Date = Date(),
                compute: @escaping @Sendable () async throws -> [ClusterStatus]) async throws -> [ClusterStatus] {
        let task = entries.withLock { entries -> Task<[ClusterStatus], any Error> in
            if let hit = entries[cluster], hit.lastEvent == lastEvent, now.timeIntervalSince(hit.at) < Self.lifetime { return hit.task }
            let task = Task { try await compute() }
            entries[cluster] = Entry(task: task, lastEvent: lastEvent, at: now)
            return task
        }
        return try await task.value
    }
}
