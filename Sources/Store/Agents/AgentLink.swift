import Cloud
import Foundation
import GRDB

/// A remote agent's standing with the controller: the instance it may speak for, the bootstrap
/// secret it may trade once for its token (both kept as SHA-256 only), and what it last reported.
public struct AgentLink: Codable, Sendable, FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "agentLinks" }
    public var instanceID: String
    public var cluster: String
    public var bootstrapSha256: Data?
    public var tokenSha256: Data?
    /// Seconds between heartbeats; three missed ones and the instance is lost.
    public var interval: Double
    public var createdAt: Date
    public var registeredAt: Date?
    public var heartbeatAt: Date?
    public var cpuPercent: Double?
    public var memoryBytes: Int64?
    /// What the agent said of its machine at registration (`linux x86_64 debian-12`).
    public var host: String?
    /// The agent's `AgentDocuments.Machine`, in JSON.
    public var machine: String?

    /// Missed heartbeats before an instance is lost.
    public static let missedBeats = 3.0

    /// What its agent is told of itself, kept at launch (nil for a link bound without it).
    public var described: AgentDocuments.Machine? {
        machine.flatMap { try? JSONDecoder().decode(AgentDocuments.Machine.self, from: Data($0.utf8)) }
    }

    /// Registered, then silent for three heartbeats while a controller was there to hear them:
    /// its machine or its agent is gone. `answeredSince`: since when a controller has run (nil:
    /// none runs, and no agent can be heard), so a controller that just came back gives every
    /// agent three beats to find it before any counts as silent.
    public func isSilent(at now: Date = Date(), answeredSince: Date?) -> Bool {
        guard let last = heartbeatAt ?? registeredAt, let answeredSince else { return false }
        return now.timeIntervalSince(max(last, answeredSince)) > Self.missedBeats * interval
    }
}
