import Cloud
import Foundation
import Store

extension LocalProvider {
    /// Queues the command for the instance's agent, wakes it, and waits for the outcome.
    public func run(on instanceID: String, command: String, timeout: Double) async throws -> CommandResult {
        let instance = try instance(instanceID)
        guard instance.state.isUp, let pid = instance.agentPID, ProcessControl.isAlive(pid) else {
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
