import Cloud
import Foundation
import LocalCloud

/// One command run with `/bin/sh -c` in an instance's root, its output captured (at most a MB of
/// each), killed with its whole process group at its time limit or a second after its caller asked
/// to stop it. Both links' agents run commands this way.
struct ShellRun {
    static let outputLimit = 1 << 20
    /// Seconds a stopped command's group has between SIGTERM and SIGKILL.
    static let stopGrace = 1.0

    let root: URL
    /// Variables beside PATH, LANG, HOME, TZ and ROOT.
    let environment: [String: String]

    /// - Parameters:
    ///   - started: told the command's process group as it starts, `ended` once it is reaped.
    ///   - stopRequestedAt: when its caller asked to stop it (SIGTERM was sent), nil while not.
    func run(_ clear: String, timeout: Double, id: Int64, started: (pid_t) -> Void = { _ in }, ended: () -> Void = {},
             stopRequestedAt: () -> Date? = { nil }) -> CommandResult {
        let scratch = root.appendingPathComponent("var/run")
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let out = scratch.appendingPathComponent("command-\(id).out")
        let err = scratch.appendingPathComponent("command-\(id).err")
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        var options = Spawner.Options(executable: "/bin/sh", arguments: ["-c", clear])
        var env = ProcessInfo.processInfo.environment.filter { ["PATH", "LANG", "HOME", "TZ"].contains($0.key) }
        env["ROOT"] = root.path
        env.merge(environment) { _, given in given }
        options.environment = env
        options.directory = root.path
        options.stdout = out.path
        options.stderr = err.path
        let pid: pid_t
        do {
            pid = try Spawner.spawn(options)
        } catch {
            return CommandResult(code: 127, stdout: "", stderr: "\(error)")
        }
        started(pid)
        defer { ended() }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var timedOut = false
        while waitpid(pid, &status, WNOHANG) == 0 {
            let stopAt = stopRequestedAt().map { $0.addingTimeInterval(Self.stopGrace) }
            if Date() >= min(deadline, stopAt ?? deadline) {
                _ = kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                timedOut = stopAt == nil
                break
            }
            usleep(5_000)
        }
        let stopped = stopRequestedAt() != nil
        if stopped { _ = kill(-pid, SIGKILL) }  // what the leader left behind in its group
        let code: Int32 = timedOut ? 124 : (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        var stderr = Self.read(err)
        if timedOut { stderr += "command timed out after \(timeout) s\n" }
        if stopped { stderr += "command stopped: its caller stopped waiting for it\n" }
        return CommandResult(code: code, stdout: Self.read(out), stderr: stderr)
    }

    private static func read(_ url: URL) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
        defer { try? handle.close() }
        let data = ((try? handle.read(upToCount: outputLimit)) ?? nil) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
