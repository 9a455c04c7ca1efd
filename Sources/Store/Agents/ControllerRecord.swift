import Cloud
import Foundation
import GRDB

/// A running `recipe serve` that answers agents: where they reach it, and the checksum of the
/// agent binary it hands out. Launches read it to write their instances' user data.
public struct ControllerRecord: Codable, Sendable, FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "controllers" }
    public var id: String
    /// What agents are told to reach (`--advertise`, or the listening address).
    public var url: String
    public var agentSha256: String?
    public var pid: Int32
    public var host: String
    public var startedAt: Date
    /// Its TLS certificate (PEM, public) when `url` is https: the user data gives it to the agent,
    /// which trusts that certificate and no other for the controller (a self-signed one works).
    public var certificate: String?

    public init(url: String, agentSha256: String?, certificate: String? = nil, pid: Int32 = getpid(),
                host: String = ProcessInfo.processInfo.hostName, startedAt: Date = Date()) {
        self.id = "\(host):\(pid)"
        (self.url, self.agentSha256, self.pid, self.host, self.startedAt) = (url, agentSha256, pid, host, startedAt)
        self.certificate = url.hasPrefix("https://") ? certificate : nil
    }

    /// Whether it still runs, as far as this machine can tell (another machine's is taken on trust).
    public var isRunning: Bool {
        host != ProcessInfo.processInfo.hostName || ProcessControl.isAlive(pid)
    }
}
