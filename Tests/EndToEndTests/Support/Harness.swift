import Foundation
import TestSupport

/// Runs the real `recipe` binary against a fresh RECIPE_HOME, and stops every process that
/// home started when the test is done.
final class Harness: @unchecked Sendable {
    struct Output {
        var code: Int32
        var stdout: String
        var stderr: String
        /// True when the process ended by a signal (a crash), not by exiting.
        var signalled: Bool
    }

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["RECIPE_BIN"] { return URL(fileURLWithPath: path) }
        return repo.appendingPathComponent(".build/debug/recipe")
    }

    let home: URL
    let scratch: URL
    /// Where the harness keeps its own files (commands' output): the home, unless the home is a disk of its own.
    private let files: URL
    /// With `disk:`, the process that holds the private mount namespace whose tmpfs is the home.
    /// Every command runs in that namespace (nsenter), so the agents and services it starts do too.
    private var holder: Process?
    /// Long-running commands this harness started (recipe serve), stopped by PID at cleanup.
    private var background: [Process] = []
    /// What cleanup's own commands need (an EC2 test's endpoint and keys).
    var cleanupEnvironment: [String: String] = [:]
    private var cleaned = false

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-e2e-\(UUID().uuidString.prefix(8))")
        scratch = home.appendingPathComponent("recipes")
        files = home
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    /// A home on a tmpfs of `size` (`64m`) of its own, mounted in a private mount namespace
    /// (`unshare -m`): a disk a test may fill, chattr or break without touching the machine's
    /// mounts. Recipes and the harness's files stay outside it. Needs root.
    init(disk size: String) throws {
        files = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-e2e-\(UUID().uuidString.prefix(8))")
        home = files.appendingPathComponent("home")
        scratch = files.appendingPathComponent("recipes")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let ready = files.appendingPathComponent("namespace-ready")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-m", "--propagation", "private", "sh", "-c",
                             "mount -t tmpfs -o size=\(size) recipe-e2e '\(home.path)' && touch '\(ready.path)' && exec sleep 100000"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        holder = process
        guard Self.eventually(timeout: 10, { FileManager.default.fileExists(atPath: ready.path) || !process.isRunning }) != nil,
              process.isRunning else {
            throw HarnessError("cannot mount a tmpfs in a private mount namespace (unshare -m needs root)")
        }
    }

    /// The path as the home's namespace sees it, for this process to read and write (through
    /// /proc/PID/root); the path itself without a namespace.
    func inside(_ url: URL) -> URL {
        guard let holder else { return url }
        return URL(fileURLWithPath: "/proc/\(holder.processIdentifier)/root" + url.path)
    }

    /// Runs `sh -c COMMAND` where the home is (in its namespace); answers its exit code.
    @discardableResult
    func sh(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: holder == nil ? "/bin/sh" : "/usr/bin/nsenter")
        process.arguments = (holder.map { ["-t", String($0.processIdentifier), "-m", "--wd=\(Self.repo.path)", "--", "/bin/sh"] } ?? []) + ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Starts `ARGV` (any program) where the home is, in the background; the caller waits for it.
    func background(_ argv: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: holder == nil ? "/usr/bin/env" : "/usr/bin/nsenter")
        process.arguments = (holder.map { ["-t", String($0.processIdentifier), "-m", "--wd=\(Self.repo.path)", "--", "/usr/bin/env"] } ?? []) + argv
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        return process
    }

    /// The executable and arguments that run `recipe ARGS` where the home is.
    private func command(_ arguments: [String]) -> (URL, [String]) {
        guard let holder else { return (Self.binary, arguments) }
        return (URL(fileURLWithPath: "/usr/bin/nsenter"), ["-t", String(holder.processIdentifier), "-m", "--wd=\(Self.repo.path)", "--", Self.binary.path] + arguments)
    }

    deinit { cleanup() }

    /// Runs `recipe ARGS` from the repository root; `input`, when given, is its stdin.
    @discardableResult
    func recipe(_ arguments: [String], timeout: Double = 120, environment extra: [String: String] = [:], input: String? = nil) throws -> Output {
        let process = Process()
        // Foundation's Process keeps the handles it was given open after the process ends: they are
        // closed here, or each command would leak them (a test run crashed in Process.run at ~1,300 fds)
        var handles: [FileHandle] = []
        defer { for handle in handles { try? handle.close() } }
        if let input {
            let file = files.appendingPathComponent("in-\(UUID().uuidString)")
            try Data(input.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let handle = try FileHandle(forReadingFrom: file)
            handles.append(handle)
            process.standardInput = handle
        }
        let (executable, words) = command(arguments)
        process.executableURL = executable
        process.arguments = words
        process.currentDirectoryURL = Self.repo
        process.environment = environment(extra)
        let out = files.appendingPathComponent("out-\(UUID().uuidString)")
        let err = files.appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        handles += [outHandle, errHandle]
        process.standardOutput = outHandle
        process.standardError = errHandle
        try Launch.run(process)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        return Output(code: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                      signalled: process.terminationReason == .uncaughtSignal)
    }

    /// This process's environment, with `extra` and this harness's RECIPE_HOME.
    private func environment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env.merge(extra) { $1 }
        env["RECIPE_HOME"] = home.path
        return env
    }

    /// Starts `recipe ARGS` in the background (its output goes to `log`); stop it with `stop`.
    func start(_ arguments: [String], log name: String = "serve.log", environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        let (executable, words) = command(arguments)
        process.executableURL = executable
        process.arguments = words
        process.currentDirectoryURL = Self.repo
        process.environment = environment(extra)
        let log = files.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try Launch.run(process)
        try? handle.close()  // the child has its own; Process would keep this one open for good
        background.append(process)
        return process
    }

    /// What a background command (`start`, `serve`) has printed so far.
    func logText(_ name: String = "serve.log") -> String {
        (try? String(contentsOf: files.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    /// Starts `recipe serve ARGS` and waits until it hosts its recipes.
    func serve(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> Process {
        let process = try start(["serve"] + arguments, environment: environment)
        let log = files.appendingPathComponent("serve.log")
        let started = Self.eventually(timeout: 15) {
            (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").contains { $0.hasPrefix("recipe serve: pid") } == true
        }
        guard started != nil else { throw HarnessError("recipe serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")") }
        return process
    }

    /// SIGKILL by PID (children of a Foundation process inherit its blocked signals, so SIGTERM may never land).
    func stop(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Writes a recipe into the scratch folder and returns its path.
    func write(_ name: String, _ source: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try source.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func status(_ cluster: String, environment extra: [String: String] = [:]) throws -> StatusDocument.Cluster {
        let output = try recipe(["status", cluster, "--json"], environment: extra)
        guard output.code == 0 else { throw HarnessError("status failed: \(output.stderr)") }
        let document = try JSONDecoder().decode(StatusDocument.self, from: Data(output.stdout.utf8))
        guard let first = document.clusters.first else { throw HarnessError("no cluster \(cluster) in status") }
        return first
    }

    /// What each instance of a cluster answers on port 8000 (the first word), by name; "none" when nothing does.
    func answers(_ cluster: String, environment extra: [String: String] = [:]) throws -> [String] {
        try status(cluster, environment: extra).instances.sorted { $0.name < $1.name }.map {
            Self.get("http://\($0.private_ip):8000/")?.split(separator: " ").first.map(String.init) ?? "none"
        }
    }

    /// Processes whose command line names this home: its agents.
    func agentPIDs() -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else {
                return nil
            }
            let text = String(decoding: cmdline, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
            let agent = text.contains("recipe-agent ") || text.contains(" agent ")
            return agent && text.contains(home.path) && Self.isAlive(pid) ? pid : nil
        }
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].first
        return state != "Z" && state != "X"
    }

    /// GET http://host:port/path with curl; nil when nothing answers.
    static func get(_ url: String, timeout: Double = 2) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sf", "--max-time", String(timeout), url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? Launch.run(process)) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? pipe.fileHandleForReading.close()
        try? pipe.fileHandleForWriting.close()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    /// Polls `condition` until it holds or `timeout` passes; returns the seconds it took, or nil.
    static func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if try condition() { return Date().timeIntervalSince(start) }
            usleep(50_000)
        }
        return nil
    }

    /// Stops everything this home started: destroy every cluster, then kill leftover agents
    /// (their services die with them) by PID.
    func cleanup() {
        guard !cleaned else { return }
        cleaned = true
        for process in background { stop(process) }
        if let output = try? recipe(["status", "--json"], timeout: 30, environment: cleanupEnvironment), output.code == 0,
           let document = try? JSONDecoder().decode(StatusDocument.self, from: Data(output.stdout.utf8)) {
            for cluster in document.clusters {
                _ = try? recipe(["destroy", cluster.name, "--yes"], timeout: 60, environment: cleanupEnvironment)
            }
        }
        for pid in agentPIDs() { kill(pid, SIGKILL) }
        if let holder {
            // the tmpfs goes with the namespace once nothing is left in it
            _ = try? sh("chattr -R -i '\(home.path)' 2>/dev/null")
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: files)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The shape of `recipe status --json`.
struct StatusDocument: Decodable {
    struct Cluster: Decodable {
        var name: String
        var provider: String
        var instances: [Instance]
        var volumes: [Volume]
        var addresses: [Address]
    }

    struct Instance: Decodable {
        var id, name, layer, state, private_ip, health: String
        var public_ip: String?
        var last_heartbeat: String?
        var agent_pid: Int32?
    }

    struct Volume: Decodable {
        var id: String
        var size_gb: Int
        var instance_id: String?
        var mount: String?
    }

    struct Address: Decodable {
        var ip: String
        var instance_id: String?
    }

    var clusters: [Cluster]
}
