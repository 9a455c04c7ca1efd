import Cloud
import Foundation
import Store

extension LocalProvider {
    /// Queues the command for the instance's agent, wakes it, and waits for the outcome. Cancelled
    /// (the caller's time limit ran out), it has the agent kill the command and throws `CommandStopped`.
    public func run(on instanceID: String, command: String, timeout: Double) async throws -> CommandResult {
        let instance = try instance(instanceID)
        let agent = try inventory.agent(instanceID)
        guard instance.state.isUp, let pid = agent?.pid, agent?.gone == false else {
            throw CloudError("instance \(instance.name) (\(instanceID)) is not running (state \(instance.state.rawValue))")
        }
        let id = try store.enqueueCommand(instance: instanceID, command: command, timeout: timeout)
        _ = kill(pid, SIGUSR1)
        let deadline = Date().addingTimeInterval(timeout + 5 * heartbeat + 5)
        do {
            while Date() < deadline {
                if let record = try store.command(id), record.state == .done {
                    try? store.forgetCommand(id)
                    return record.result
                }
                try await Task.sleep(nanoseconds: 5_000_000)
            }
        } catch is CancellationError {
            throw await stopCommand(id, on: instance.name, agent: pid)
        }
        throw CloudError("command on \(instance.name) got no answer from its agent within \(Int(timeout)) s")
    }

    /// Asks the agent to kill command `id` and waits (in a task of its own: the caller's is
    /// cancelled) until it says the command is gone, or a few heartbeats.
    private func stopCommand(_ id: Int64, on name: String, agent pid: pid_t) async -> CommandStopped {
        // the agent gives a stopped command a second between SIGTERM and SIGKILL; a missed signal waits for a heartbeat
        let store = store, wait = 3 + 2 * heartbeat
        return await Task.detached {
            let state = try? store.requestStop(id)
            guard state == .stopping else {
                // never started (stopped), or it ended as it was being stopped (done)
                let record = try? store.command(id)
                try? store.forgetCommand(id)
                return CommandStopped(instance: name, confirmed: state != nil, result: record.flatMap { $0.state == .done ? $0.result : nil })
            }
            _ = kill(pid, SIGUSR1)
            let deadline = Date().addingTimeInterval(wait)
            while Date() < deadline {
                if let record = try? store.command(id), record.state == .stopped || record.state == .done {
                    try? store.forgetCommand(id)
                    return CommandStopped(instance: name, confirmed: true, result: record.result)
                }
                try? await Task.sleep(nanoseconds: 10_000_000)
            }
            return CommandStopped(instance: name, confirmed: false)
        }.value
    }
}

extension CommandRecord {
    var result: CommandResult { CommandResult(code: code ?? -1, stdout: stdout ?? "", stderr: stderr ?? "") }
}

extension LocalProvider {
    /// Paths inside the instance: its root, and the folders of the volumes attached to it.
    func inside(_ instanceID: String) throws -> InstancePath {
        let attached = try inventory.volumes().filter { $0.instanceID == instanceID }.map { paths.volume($0.id) }
        return InstancePath(root: paths.root(of: instanceID), volumes: attached)
    }

    /// A file system error in the user's terms (no Foundation error domain).
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return nsError.localizedDescription
    }

    /// Written straight into the instance root: `/etc/haproxy/haproxy.cfg` is `$ROOT/etc/haproxy/haproxy.cfg`.
    public func writeFile(on instanceID: String, path: String, contents: String) async throws {
        let instance = try instance(instanceID)
        let url: URL
        do {
            url = try inside(instanceID).resolve(path, followLast: true)
        } catch {
            throw CloudError("write \(path) on \(instance.name): \(error)")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw CloudError("write \(path) on \(instance.name): it is a folder")
        }
        // the last moment: secrets the contents refer to are put in as the file is written
        let clear = try store.redactor.reveal(contents)
        do {
            try Data(clear.utf8).write(to: url, options: .atomic)
        } catch {
            throw CloudError("write \(path) on \(instance.name): \(Self.reason(error))")
        }
        record("file.written", cluster: instance.cluster, subject: instance.name, detail: "\(path), \(clear.utf8.count) bytes")
    }
}
