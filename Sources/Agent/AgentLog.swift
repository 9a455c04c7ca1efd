import Cloud
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The agent's own log: lines on its stderr (the instance's var/log/agent.log), kept under the
/// log bound. Written with write(2), never FileHandle: a full disk makes a line wait (the last
/// few are kept and written once there is room again), never stops the agent.
final class AgentLog: Sendable {
    static let keep = 20

    let instance: String
    /// The file stderr goes to, trimmed like a service log.
    let path: String?
    /// Lines a write refused, oldest first.
    private let waiting = Locked<[String]>([])

    init(instance: String, path: String?) {
        self.instance = instance
        self.path = path
    }

    func line(_ text: String) {
        if let path { LogBound.trim(path) }
        let stamp = ISO8601DateFormatter().string(from: Date())
        waiting.withLock { waiting in
            waiting.append("\(stamp) agent \(instance): \(text)\n")
            while let first = waiting.first, LogBound.write(2, first) { waiting.removeFirst() }
            if waiting.count > Self.keep { waiting.removeFirst(waiting.count - Self.keep) }
        }
    }
}
