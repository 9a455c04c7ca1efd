import Cloud
import Foundation

/// Whether an instance answers: its agent heartbeats, and its process is alive.
public enum Health: String, Codable, Sendable {
    case healthy, unhealthy, stopped, pending

    /// Unhealthy once three heartbeats are missed, or as soon as the agent process is gone.
    public static func of(_ instance: Instance, heartbeat: Double, now: Date = Date()) -> Health {
        switch instance.state {
        case .stopped, .terminated: return .stopped
        case .pending where instance.lastHeartbeat == nil: return .pending
        default: break
        }
        if let pid = instance.agentPID, !ProcessControl.isAlive(pid) { return .unhealthy }
        guard let beat = instance.lastHeartbeat, now.timeIntervalSince(beat) <= 3 * heartbeat else { return .unhealthy }
        return .healthy
    }
}
