import Foundation

/// The machines behind a moto_server, which keeps instances as records only: each instance that
/// runs is booted as cloud-init would boot it, by running its user data (`sh`), in a folder of
/// its own (`PREFIX`, which the bootstrap script honours) with its id in `INSTANCE_ID` (the
/// metadata service's part). A Python process of its own does it (`moto_machines.py`, boto3),
/// so booting never waits for the tests' busy threads. An instance that stops or ends is switched
/// off: every process of its machine (its environment's PREFIX or ROOT) is killed. What the
/// scripts start (the agent, its services and commands) lives on loopback; `stop()` kills the
/// watcher by PID, then switches every machine off.
public final class MotoMachines: @unchecked Sendable {
    public let folder: URL
    let process: Process
    let python: URL
    let endpoint: String, accessKey: String, secretKey: String
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("moto_machines.py").path

    public init(moto: MotoServer, folder: URL) throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        python = URL(fileURLWithPath: try MotoServer.binary()).deletingLastPathComponent().appendingPathComponent("python")
        (endpoint, accessKey, secretKey) = (moto.endpoint, moto.accessKey, moto.secretKey)
        process = Process()
        process.executableURL = python
        process.arguments = [Self.script, moto.endpoint, folder.path, moto.accessKey, moto.secretKey]
        let log = folder.appendingPathComponent("watcher.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try Launch.run(process)
    }

    deinit { stop() }

    /// A VPC subnet whose addresses are loopback ones (127.N.1.0/24, N picked at random so that
    /// two tests' machines do not meet): instances launched into it (`provider.subnet`) serve
    /// at the private address the inventory shows, and the tests and balancers reach them there.
    public func loopbackSubnet() throws -> String {
        let make = Process()
        make.executableURL = python
        make.arguments = [Self.script, "--loopback-subnet", endpoint, accessKey, secretKey, String(Int.random(in: 100...250))]
        let out = Pipe()
        make.standardOutput = out
        try Launch.run(make)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        make.waitUntilExit()
        guard make.terminationStatus == 0, text.hasPrefix("subnet-") else { throw TestSupportError("no loopback subnet: \(text)") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

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

    /// The watcher, by PID, then every machine: its agent and whatever the agent started.
    public func stop() {
        if process.isRunning {
            _ = Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let off = Process()
        off.executableURL = python
        off.arguments = [Self.script, "--power-off", folder.path]
        guard (try? Launch.run(off)) != nil else { return }
        off.waitUntilExit()
    }
}
