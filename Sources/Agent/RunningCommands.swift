import Cloud
import Foundation

/// The commands an agent runs now, on either link: each one's process group, and when its caller
/// asked to stop it (SIGTERM then; its thread follows with SIGKILL after `ShellRun.stopGrace`).
final class RunningCommands: Sendable {
    private let groups = Locked<[Int64: pid_t]>([:])
    private let stopping = Locked<[Int64: Date]>([:])

    /// Runs command `id` with `shell`, tracked while it runs; whether it ended by a stop request.
    func run(_ clear: String, timeout: Double, id: Int64, with shell: ShellRun) -> (result: CommandResult, stopped: Bool) {
        let result = shell.run(clear, timeout: timeout, id: id,
                               started: { pid in groups.withLock { $0[id] = pid } },
                               ended: { groups.withLock { $0[id] = nil } },
                               stopRequestedAt: { stopping.withLock { $0[id] } })
        return (result, stopping.withLock { $0.removeValue(forKey: id) } != nil)
    }

    /// SIGTERM to the group of a running command, once.
    func stop(_ id: Int64) {
        guard let pid = groups.withLock({ $0[id] }) else { return }
        let first = stopping.withLock { stopping in
            defer { stopping[id] = stopping[id] ?? Date() }
            return stopping[id] == nil
        }
        if first { _ = kill(-pid, SIGTERM) }
    }

    /// SIGKILL to every running command's group (the agent stops).
    func killAll() {
        for pid in groups.withLock({ Array($0.values) }) { _ = kill(-pid, SIGKILL) }
    }
}
