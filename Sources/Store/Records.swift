import Cloud
import Foundation
import GRDB

/// Dates are stored as seconds since 1970: no date formatter (and no ICU) on the agents' hot path.
public protocol EpochDates: FetchableRecord, EncodableRecord {}

extension EpochDates {
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
}

/// A cluster as last declared: its provider, the recipe that declared it and the spec as JSON.
public struct ClusterRecord: Codable, Sendable, FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "clusters" }
    public var name: String
    public var provider: String
    public var recipePath: String?
    public var recipeHash: String?
    /// The run's `name=value` arguments as a JSON object, so the recipe can be loaded again for its hooks.
    public var recipeArguments: String?
    public var spec: String

    /// `recipeArguments`, decoded (none when absent or unreadable).
    public var arguments: [String: String] {
        recipeArguments.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
    }
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, provider: String, recipePath: String?, recipeHash: String?, recipeArguments: String? = nil,
                spec: String, createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.name = name
        self.provider = provider
        self.recipePath = recipePath
        self.recipeHash = recipeHash
        self.recipeArguments = recipeArguments
        self.spec = spec
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A layer's declared count and spec (JSON).
public struct LayerRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "layers" }
    public var cluster: String
    public var name: String
    public var count: Int
    public var spec: String

    public init(cluster: String, name: String, count: Int, spec: String) {
        self.cluster = cluster
        self.name = name
        self.count = count
        self.spec = spec
    }
}

/// One entry of the append-only event log, which is also the audit log.
public struct Event: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, EpochDates {
    public static var databaseTableName: String { "events" }
    public var id: Int64?
    public var time: Date
    /// Who acted (`Identity.actor`): `owner`, `agent:ID`, `scheduler`, `user:NAME`, `token:NAME…LAST4`.
    public var actor: String
    public var cluster: String?
    /// What happened, dotted: `instance.launched`, `command.run`, `volume.attached`.
    public var kind: String
    /// The resource it happened to (an id, an address, a name).
    public var subject: String?
    public var detail: String?
    /// `ok`, or `failed: why`.
    public var result: String
    /// The hook run that recorded it and the event that run was on (EventCause); nil from outside.
    public var causeRun: Int64?
    public var causeEvent: Int64?
    /// How many hook runs on events emitted by hooks led here: 0 for an event from outside.
    public var depth: Int = 0

    public init(actor: String, cluster: String?, kind: String, subject: String?, detail: String? = nil,
                result: String = "ok", time: Date = Date()) {
        self.time = time
        self.actor = actor
        self.cluster = cluster
        self.kind = kind
        self.subject = subject
        self.detail = detail
        self.result = result
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A command queued for an instance's agent, and its outcome.
public struct CommandRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord, EpochDates {
    public static var databaseTableName: String { "commands" }
    /// `stopping`: its caller gave up (a time limit) and asks the agent to kill it; `stopped`: the
    /// agent did (or it never started).
    public enum State: String, Codable, Sendable { case pending, running, done, stopping, stopped }
    /// `run`: `command` is shell text; `write`: `command` is the contents of the file at `path`.
    /// `fetch`: the agent downloads a release archive (`command`: its name) to `path`.
    public enum Kind: String, Codable, Sendable { case run, write, fetch }
    public var id: Int64?
    public var instanceID: String
    public var kind: Kind
    public var command: String
    public var path: String?
    public var timeout: Double
    public var state: State
    public var code: Int32?
    public var stdout: String?
    public var stderr: String?
    /// OpsWorks' three times: made, taken by an agent (never handed out again), finished.
    public var createdAt: Date
    public var acknowledgedAt: Date?
    public var finishedAt: Date?

    public init(instanceID: String, command: String, timeout: Double, kind: Kind = .run, path: String? = nil) {
        self.instanceID = instanceID
        self.kind = kind
        self.command = command
        self.path = path
        self.timeout = timeout
        self.state = .pending
        self.createdAt = Date()
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension Event {
    /// The columns `init(fields:)` reads, in its order.
    static let fieldColumns = "id, time, actor, cluster, kind, subject, detail, result, causeRun, causeEvent, depth"
    /// The columns `record` writes, in its order (all but `id`).
    static let insertColumns = ["time", "actor", "cluster", "kind", "subject", "detail", "result", "causeRun", "causeEvent", "depth"]

    /// The values of `insertColumns`.
    var insertValues: [SQLValue] {
        [time.sqlValue, .text(actor), cluster.sqlValue, .text(kind), subject.sqlValue, detail.sqlValue, .text(result),
         causeRun.sqlValue, causeEvent.sqlValue, .integer(Int64(depth))]
    }

    /// A row of `fieldColumns`, read by position: the dispatcher's hot path, where decoding by
    /// name (or through Codable) costs more than the query.
    init(fields row: SQLRow) {
        self.init(actor: row[2].string ?? "", cluster: row[3].string, kind: row[4].string ?? "", subject: row[5].string,
                  detail: row[6].string, result: row[7].string ?? "", time: row[1].date ?? Date(timeIntervalSince1970: 0))
        id = row[0].int64
        causeRun = row[8].int64
        causeEvent = row[9].int64
        depth = row[10].int ?? 0
    }
}
