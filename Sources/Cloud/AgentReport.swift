import Foundation

/// What an instance's agent last said about itself: kept apart from `Instance`, which is what
/// every provider knows, because only providers with agents have it.
public struct AgentReport: Sendable, Equatable {
    /// The agent's process id where it runs on this machine.
    public var pid: Int32?
    public var lastHeartbeat: Date?
    public var cpuPercent: Double?
    public var memoryBytes: Int64?
    /// The agent process is known to be gone (it died, or was killed).
    public var gone: Bool

    public init(pid: Int32? = nil, lastHeartbeat: Date? = nil, cpuPercent: Double? = nil, memoryBytes: Int64? = nil,
                gone: Bool = false) {
        self.pid = pid
        self.lastHeartbeat = lastHeartbeat
        self.cpuPercent = cpuPercent
        self.memoryBytes = memoryBytes
        self.gone = gone
    }
}

extension Instance {
    /// Up as its provider reports it, but its remote agent went silent: lost (EC2, hosts).
    public func isLost(byRemoteAgent agent: AgentReport?) -> Bool {
        state.isUp && agent?.gone == true
    }

    /// The health of an instance reached through a remote agent: its provider's state, and
    /// unhealthy once the agent went silent.
    public func health(byRemoteAgent agent: AgentReport?) -> String {
        switch state {
        case .pending: return "pending"
        case .stopping, .stopped, .terminated: return "stopped"
        default: return agent?.gone == true ? "unhealthy" : "healthy"
        }
    }
}

/// One sample of a metric.
public struct MetricSample: Sendable, Equatable {
    public var instance: String
    public var time: Date
    public var value: Double

    public init(instance: String, time: Date, value: Double) {
        self.instance = instance
        self.time = time
        self.value = value
    }
}
