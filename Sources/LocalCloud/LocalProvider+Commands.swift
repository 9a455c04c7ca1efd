import Cloud
import Foundation
import Store

extension LocalProvider {
    /// Queues the command for the instance's agent, wakes it, and waits for the outcome.
    public func run(on instanceID: String, command: String, timeout: Double) async throws -> CommandResult {
        let instance = try instance(instanceID)
        let agent = try inventory.agent(instanceID)
        guard instance.state.isUp, let pid = agent?.pid, agent?.gone == false else {
            throw CloudError("instance \(instance.name) (\(instanceID)) is not running (state \(instance.state.rawValue))")
        }
        let id = try store.enqueueCommand(instance: instanceID, command: command, timeout: timeout)
        _ = kill(pid, SIGUSR1)
        let deadline = Date().addingTimeInterval(timeout + 5 * heartbeat + 5)
        while Date() < deadline {
            if let record = try store.command(id), record.state == .done {
                try? store.forgetCommand(id)
                return CommandResult(code: record.code ?? -1, stdout: record.stdout ?? "", stderr: record.stderr ?? "")
            }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        throw CloudError("command on \(instance.name) got no answer from its agent within \(Int(timeout)) s")
    }
}

extension LocalProvider {
    /// Written straight into the instance root: `/etc/haproxy/haproxy.cfg` is `$ROOT/etc/haproxy/haproxy.cfg`.
    public func writeFile(on instanceID: String, path: String, contents: String) async throws {
        let instance = try instance(instanceID)
        guard let parts = MountPoint.parts(path) else {
            throw CloudError("write: '\(path)' must be an absolute path inside the instance, without '..'")
        }
        let url = parts.reduce(paths.root(of: instanceID)) { $0.appendingPathComponent($1) }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url, options: .atomic)
        record("file.written", cluster: instance.cluster, subject: instance.name, detail: "\(path), \(contents.utf8.count) bytes")
    }
}
