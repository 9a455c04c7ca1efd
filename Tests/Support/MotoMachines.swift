import Cloud
import EC2
import Foundation

/// The machines behind a moto_server, which keeps instances as records only: each instance that
/// runs is booted as cloud-init would boot it, by running its user data (`sh`), in a folder of
/// its own (`PREFIX`, which the bootstrap script honours) with its id in `INSTANCE_ID` (the
/// metadata service's part). What the script starts (the agent, and the commands it runs) lives
/// on loopback; `stop()` kills every agent by the PID its script wrote, and `kill(_:)` one.
public final class MotoMachines: Sendable {
    let client: QueryClient
    public let folder: URL
    private let booted = Locked<Set<String>>([])
    private let watcher = Locked<Task<Void, Never>?>(nil)
    /// The user-data scripts it started, each stopped by PID if it still runs at `stop()`.
    private let scripts = Locked<[pid_t]>([])

    public init(moto: MotoServer, folder: URL) {
        self.folder = folder
        let config = moto.config()
        client = QueryClient(endpoint: config.endpoint, version: config.apiVersion,
                             signer: SigV4(credentials: config.credentials, region: config.region, service: "ec2"))
    }

    /// Boots every running instance that has user data, as it appears, until `stop()`.
    public func watch(every seconds: Double = 0.2) {
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await bootNew()
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            }
        }
        watcher.withLock { $0 = task }
    }

    /// The folder that is this instance's machine.
    public func root(of id: String) -> URL { folder.appendingPathComponent(id) }

    /// The PID of the agent the instance's user data started.
    public func agentPID(_ id: String) -> pid_t? {
        let file = root(of: id).appendingPathComponent("var/lib/recipe-agent/agent.pid")
        return (try? String(contentsOf: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// What the agent wrote to its log.
    public func agentLog(_ id: String) -> String {
        (try? String(contentsOf: root(of: id).appendingPathComponent("var/log/recipe-agent.log"), encoding: .utf8)) ?? ""
    }

    public var bootedInstances: [String] { booted.withLock { $0.sorted() } }

    /// SIGKILL to one instance's agent (a machine whose agent died).
    public func kill(_ id: String) {
        if let pid = agentPID(id) { _ = Foundation.kill(pid, SIGKILL) }
    }

    /// Stops watching, and every agent it started, by PID.
    public func stop() {
        watcher.withLock { $0?.cancel() }
        for script in scripts.withLock({ $0 }) { _ = Foundation.kill(script, SIGKILL) }  // gone already, most
        for id in bootedInstances { kill(id) }
    }

    private func bootNew() async throws {
        var running: [String] = []
        try await client.paginate("DescribeInstances", [("Filter.1.Name", "instance-state-name"), ("Filter.1.Value.1", "running")]) { page in
            for reservation in page.items("reservationSet") {
                running += reservation.items("instancesSet").compactMap { $0.string("instanceId") }
            }
        }
        for id in running where booted.withLock({ !$0.contains(id) }) {
            let answer = try await client.call("DescribeInstanceAttribute", [("InstanceId", id), ("Attribute", "userData")])
            guard let encoded = answer.string("userData/value"), !encoded.isEmpty, let script = Data(base64Encoded: encoded) else {
                booted.withLock { _ = $0.insert(id) }  // no user data: nothing to boot
                continue
            }
            booted.withLock { _ = $0.insert(id) }
            try boot(id, script: script)
        }
    }

    private func boot(_ id: String, script: Data) throws {
        let machine = root(of: id)
        try FileManager.default.createDirectory(at: machine, withIntermediateDirectories: true)
        let file = machine.appendingPathComponent("user-data")
        try script.write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [file.path]
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "LANG", "HOME", "TZ"].contains($0.key) }
        environment["PREFIX"] = machine.path
        environment["INSTANCE_ID"] = id
        process.environment = environment
        let log = machine.appendingPathComponent("cloud-init-output.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try Launch.run(process)  // not waited for here: machines boot side by side, as in a cloud
        try? handle.close()
        scripts.withLock { $0.append(process.processIdentifier) }
    }
}
