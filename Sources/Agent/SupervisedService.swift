import Cloud
import Foundation

/// A service the agent keeps running, with its restart backoff.
struct SupervisedService {
    let spec: ServiceSpec
    var pid: pid_t?
    var startedAt: Date?
    var restartAt: Date?
    var failures = 0

    init(spec: ServiceSpec) {
        self.spec = spec
    }

    /// 1 s, 2 s, 4 s ... up to 30 s; a service that stayed up a minute starts over at 1 s.
    mutating func scheduleRestart(now: Date = Date()) {
        if let startedAt, now.timeIntervalSince(startedAt) > 60 { failures = 0 }
        failures += 1
        restartAt = now.addingTimeInterval(min(30, pow(2, Double(failures - 1))))
        pid = nil
    }

    /// The shell command line. A simple command is exec'd, so the service itself (not a shell)
    /// is the agent's child and receives the parent-death signal.
    var commandLine: String {
        let compound = spec.command.contains { ";&|()`\n<>".contains($0) } || spec.command.hasPrefix("cd ")
        return compound || spec.command.hasPrefix("exec ") ? spec.command : "exec " + spec.command
    }
}
