import Foundation
import GRDB

/// One rollout (a deploy or a rollback) as a transaction: written before the first instance is
/// touched and closed after the last, so a rollout that was killed midway is still known to the
/// next command, which finishes it or rolls it back.
public struct DeployRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, EpochDates {
    public static var databaseTableName: String { "deploys" }
    /// `running` and `restoring` are unfinished; the others are closed.
    public enum State: String, Codable, Sendable {
        /// Rolling out. `restoring`: a failure is returning the touched instances to `from`.
        case running, restoring
        case finished, failed
        /// Closed by a later command that returned every instance to `from`, or that finished it.
        case rolledBack = "rolled-back", resumed
        /// Its cluster was destroyed or its app undeployed.
        case abandoned
        public var isUnfinished: Bool { self == .running || self == .restoring }
    }

    public var id: Int64?
    public var cluster: String
    public var app: String
    /// deploy or rollback
    public var kind: String
    /// The release being rolled out (its folder name on instances), its source, commit and ref, and the archive.
    public var release: String
    public var source: String
    public var sha: String
    public var ref: String
    public var archive: String
    /// The release that was current when it began (nil: the app's first release).
    public var from: String?
    public var state: State
    public var startedAt: Date
    public var updatedAt: Date

    public init(cluster: String, app: String, kind: String, release: String, source: String, sha: String, ref: String,
                archive: String, from: String?) {
        (self.cluster, self.app, self.kind, self.release, self.source) = (cluster, app, kind, release, source)
        (self.sha, self.ref, self.archive) = (sha, ref, archive)
        self.from = from
        state = .running
        startedAt = Date()
        updatedAt = startedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// How far a rollout got on one instance.
public struct DeployTarget: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "deployTargets" }
    public enum Phase: String, Codable, Sendable {
        /// Not touched yet. `drained`: out of the balancers' rotation (the drain hook was asked).
        case pending, drained
        /// Its `current` points at the new release and it answered its health check.
        case switched
        /// Back in rotation on the new release; its deploy hooks run. `done`: they ran.
        case ready, done
        /// Returned to the release it ran before, and back in rotation.
        case restored
    }

    public var deploy: Int64
    public var instance: String
    public var name: String
    public var previous: String?
    public var phase: Phase

    public init(deploy: Int64, instance: String, name: String, previous: String?, phase: Phase = .pending) {
        (self.deploy, self.instance, self.name, self.previous, self.phase) = (deploy, instance, name, previous, phase)
    }

    /// Whether a balancer may still hold it out of rotation.
    public var mayBeDrained: Bool { phase == .drained || phase == .switched }
}
