import Cloud
import Foundation
import LocalCloud
import Store

/// Runs queued commands in the instance's root, each on its own thread, and stores the outcome.
/// A command whose caller gave up (`stopping`) has its process group killed.
final class CommandRunner: Sendable {
    static let outputLimit = 1 << 20
    /// Seconds a stopped command's group has between SIGTERM and SIGKILL.
    static let stopGrace = 1.0

    let store: Store
    let instance: Instance
    let root: URL
    /// Where outcomes go: a state that cannot take one now gets it later.
    let reports: ReportQueue
    /// The process group of each running command, by command id.
    private let running = Locked<[Int64: pid_t]>([:])
    /// When each command asked to stop was sent SIGTERM.
    private let stopping = Locked<[Int64: Date]>([:])

    init(store: Store, instance: Instance, root: URL, reports: ReportQueue) {
        self.store = store
        self.reports = reports
        self.instance = instance
        self.root = root
    }

    func runPending() {
        guard let pending = try? store.claimCommands(instance: instance.id) else { return }
        for command in pending {
            Thread.detachNewThread { [self] in
                let result = run(command.command, timeout: command.timeout, id: command.id!)
                let stopped = stopping.withLock { $0.removeValue(forKey: command.id!) } != nil
                reports.send(.completion(command: command.id!, result: result, stopped: stopped))
            }
        }
    }

    /// Sends SIGTERM to the group of every running command asked to stop; the command's thread
    /// follows with SIGKILL after the grace period, and records it as stopped.
    func stopRequested() {
        guard let ids = try? store.stopRequests(instance: instance.id), !ids.isEmpty else { return }
        for id in ids {
            guard let pid = running.withLock({ $0[id] }) else { continue }
            let first = stopping.withLock { stopping in
                defer { stopping[id] = stopping[id] ?? Date() }
                return stopping[id] == nil
            }
            if first { _ = kill(-pid, SIGTERM) }
        }
    }

    private func run(_ command: String, timeout: Double, id: Int64) -> CommandResult {
        let scratch = root.appendingPathComponent("var/run")
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let out = scratch.appendingPathComponent("command-\(id).out")
        let err = scratch.appendingPathComponent("command-\(id).err")
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        // the secrets it refers to are read now, as it starts; the Store masks them in its output
        let clear: String
        do {
            clear = try store.redactor.reveal(command)
        } catch {
            return CommandResult(code: 127, stdout: "", stderr: "\(error)\n")
        }
        var options = Spawner.Options(executable: "/bin/sh", arguments: ["-c", clear])
        var env = ProcessInfo.processInfo.environment.filter { ["PATH", "LANG", "HOME", "TZ"].contains($0.key) }
        env["ROOT"] = root.path
        env["ADDRESS"] = instance.privateIP
        env["INSTANCE_ID"] = instance.id
        env["CLUSTER"] = instance.cluster
        env["LAYER"] = instance.layer
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
        running.withLock { $0[id] = pid }
        defer { running.withLock { $0[id] = nil } }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var timedOut = false
        while waitpid(pid, &status, WNOHANG) == 0 {
            let stopAt = stopping.withLock { $0[id] }.map { $0.addingTimeInterval(Self.stopGrace) }
            if Date() >= min(deadline, stopAt ?? deadline) {
                _ = kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                timedOut = stopAt == nil
                break
            }
            usleep(5_000)
        }
        let stopped = stopping.withLock { $0[id] } != nil
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
