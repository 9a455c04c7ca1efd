import Foundation

/// The machines behind a moto_server, which keeps instances as records only: each instance that
/// runs is booted as cloud-init would boot it, by running its user data (`sh`), in a folder of
/// its own (`PREFIX`, which the bootstrap script honours) with its id in `INSTANCE_ID` (the
/// metadata service's part). A Python process of its own does it (`moto_machines.py`, boto3),
/// so booting never waits for the tests' busy threads. What the scripts start (the agent, and
/// the commands it runs) lives on loopback; `stop()` kills the watcher and every agent by PID.
public final class MotoMachines: @unchecked Sendable {
    public let folder: URL
    let process: Process

    public init(moto: MotoServer, folder: URL) throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try MotoServer.binary()).deletingLastPathComponent().appendingPathComponent("python")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("moto_machines.py").path
        process.arguments = [script, moto.endpoint, folder.path, moto.accessKey, moto.secretKey]
        let log = folder.appendingPathComponent("watcher.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try Launch.run(process)
    }

    deinit { stop() }

    /// The folder that is this instance's machine.
    public func root(of id: String) -> URL { folder.appendingPathComponent(id) }

    /// The instances booted so far, in boot order.
    public var bootedInstances: [String] {
        ((try? String(contentsOf: folder.appendingPathComponent("booted"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The PID of the agent the instance's user data started.
    public func agentPID(_ id: String) -> pid_t? {
        let file = root(of: id).appendingPathComponent("var/lib/recipe-agent/agent.pid")
        return (try? String(contentsOf: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// What the agent wrote to its log, and what the watcher said.
    public func agentLog(_ id: String) -> String {
        (try? String(contentsOf: root(of: id).appendingPathComponent("var/log/recipe-agent.log"), encoding: .utf8)) ?? ""
    }

    public var watcherLog: String {
        (try? String(contentsOf: folder.appendingPathComponent("watcher.log"), encoding: .utf8)) ?? ""
    }

    /// SIGKILL to one instance's agent (a machine whose agent died).
    public func kill(_ id: String) {
        if let pid = agentPID(id) { _ = Foundation.kill(pid, SIGKILL) }
    }

    /// The watcher, then every agent it started, by PID.
    public func stop() {
        if process.isRunning {
            _ = Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for id in bootedInstances { kill(id) }
    }
}
