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
            if let result = try await store.awaitCommand(id, until: deadline) { return result }
        } catch is CancellationError {
            // the agent gives a stopped command a second between SIGTERM and SIGKILL; a missed signal waits for a heartbeat
            throw await store.stopCommand(id, on: instance.name, wait: 3 + 2 * heartbeat) { _ = kill(pid, SIGUSR1) }
        }
        throw CloudError("command on \(instance.name) got no answer from its agent within \(Int(timeout)) s")
    }
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
