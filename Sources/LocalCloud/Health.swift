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

    /// `healthy`, `pending`, `stopped`, or `unhealthy: ` and why: `agent gone (pid N)`, `agent
    /// silent for 4 s`, `no agent`.
    public static func describe(_ state: Instance.State, agent: AgentReport?, heartbeat: Double, now: Date = Date()) -> String {
        let health = of(state, agent: agent, heartbeat: heartbeat, now: now)
        guard health == .unhealthy else { return health.rawValue }
        if agent?.gone == true { return "unhealthy: agent gone" + (agent?.pid.map { " (pid \($0))" } ?? "") }
        guard let beat = agent?.lastHeartbeat else {
            return agent?.pid.map { "unhealthy: agent never heartbeat (pid \($0))" } ?? "unhealthy: no agent"
        }
        return "unhealthy: agent silent for \(Int(now.timeIntervalSince(beat).rounded())) s"
    }
}
