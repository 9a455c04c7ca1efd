import Cloud
import Foundation
import LocalCloud
import Store

/// Runs queued commands in the instance's root, each on its own thread, and stores the outcome.
/// A command whose caller gave up (`stopping`) has its process group killed.
final class CommandRunner: Sendable {
    let store: Store
    let instance: Instance
    let root: URL
    /// Where outcomes go: a state that cannot take one now gets it later.
    let reports: ReportQueue
    private let commands = RunningCommands()

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
                let (result, stopped) = run(command.command, timeout: command.timeout, id: command.id!)
                reports.send(.completion(command: command.id!, result: result, stopped: stopped))
            }
        }
    }

    /// Sends SIGTERM to the group of every running command asked to stop; the command's thread
    /// follows with SIGKILL after the grace period, and records it as stopped.
    func stopRequested() {
        guard let ids = try? store.stopRequests(instance: instance.id) else { return }
        ids.forEach(commands.stop)
    }

    private func run(_ command: String, timeout: Double, id: Int64) -> (result: CommandResult, stopped: Bool) {
        // the secrets it refers to are read now, as it starts; the Store masks them in its output
        let clear: String
        do {
            clear = try store.redactor.reveal(command)
        } catch {
            return (CommandResult(code: 127, stdout: "", stderr: "\(error)\n"), false)
        }
        let environment = ["ADDRESS": instance.privateIP, "INSTANCE_ID": instance.id, "CLUSTER": instance.cluster, "LAYER": instance.layer]
        return commands.run(clear, timeout: timeout, id: id, with: ShellRun(root: root, environment: environment))
    }
}
