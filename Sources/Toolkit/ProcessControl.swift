import Foundation

/// Signals and liveness, read from /proc. A zombie counts as dead: nothing reaps orphans here.
public enum ProcessControl {
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard let fields = statFields(pid), let state = fields.first else { return false }
        return state != "Z" && state != "X"
    }

    /// When a live process started (field 22 of /proc/PID/stat, clock ticks after boot): with
    /// its pid, what tells it from a later process given the same pid.
    public static func startTime(of pid: pid_t) -> Int64? {
        guard let fields = statFields(pid), let state = fields.first, state != "Z", state != "X", fields.count > 19 else { return nil }
        return Int64(fields[19])
    }

    /// The fields of /proc/PID/stat after the command name, from the state (field 3) on.
    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// SIGTERM to the process (and its group when `group`), then SIGKILL after `grace` seconds.
    /// Returns once it is gone.
    public static func stop(_ pid: pid_t, group: Bool, grace: Double) async {
        guard isAlive(pid) else { return }
        _ = kill(group ? -pid : pid, SIGTERM)
        if await waitForExit(pid, timeout: grace) { return }
        _ = kill(group ? -pid : pid, SIGKILL)
        _ = await waitForExit(pid, timeout: 5)
    }

    /// Polls until the process is gone; false if it still runs after `timeout` seconds.
    public static func waitForExit(_ pid: pid_t, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isAlive(pid) {
            if Date() >= deadline { return false }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return true
    }
}
