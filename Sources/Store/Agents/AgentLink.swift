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

    /// Registered, then silent for three heartbeats: its machine or its agent is gone.
    public func isSilent(at now: Date = Date()) -> Bool {
        guard let last = heartbeatAt ?? registeredAt else { return false }
        return now.timeIntervalSince(last) > Self.missedBeats * interval
    }
}
