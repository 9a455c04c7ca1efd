import Foundation

/// Signals and liveness, read from /proc. A zombie counts as dead: nothing reaps orphans here.
public enum ProcessControl {
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].first
        return state != "Z" && state != "X"
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
