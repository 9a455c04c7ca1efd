import Cloud
import Foundation

/// Whether an instance answers: its agent heartbeats, and its process is alive.
public enum Health: String, Codable, Sendable {
    case healthy, unhealthy, stopped, pending

    /// Unhealthy once three heartbeats are missed, or as soon as the agent process is gone.
    public static func of(_ state: Instance.State, agent: AgentReport?, heartbeat: Double, now: Date = Date()) -> Health {
        switch state {
        case .stopped, .terminated: return .stopped
        case .pending where agent?.lastHeartbeat == nil: return .pending
        default: break
        }
        if agent?.gone == true { return .unhealthy }
        guard let beat = agent?.lastHeartbeat, now.timeIntervalSince(beat) <= 3 * heartbeat else { return .unhealthy }
        return .healthy
    }
}
