import Cloud
import Foundation

/// What a provider whose machines are out of reach (EC2 today) does through their agents: the
/// user data that boots each agent, and commands and files queued in the Store for the agent to
/// pull from the controller's `/agent/v1` routes. Waiting is by polling the Store, so a
/// `recipe run` in another process than `recipe serve` works the same.
public final class RemoteAgents: Sendable {
    let store: Store
    /// Seconds between a remote agent's heartbeats.
    public let heartbeat: Double
    /// How long a command waits for a booting instance's agent to register.
    public let bootWait: Double

    public init(store: Store, heartbeat: Double = 5, bootWait: Double = 300) {
        (self.store, self.heartbeat, self.bootWait) = (store, heartbeat, bootWait)
    }

    /// The bootstrap for a launch, or nil when no controller answers agents (`recipe serve`);
    /// its agents beat every `interval` seconds (the layer's), or every `heartbeat`, and know
    /// every controller that runs now, the oldest first (the one that leads, mostly: a serve
    /// started later stands by).
    public func bootstrap(interval: Double? = nil) throws -> AgentBootstrap? {
        let controllers = try store.controllers().sorted { $0.startedAt < $1.startedAt }
        return controllers.first.map { AgentBootstrap(controller: $0, alternates: Array(controllers.dropFirst()), heartbeat: interval ?? heartbeat) }
    }

    /// Why `machines` launched now could run no hooks, services or apps (nil when a controller
    /// answers agents): what a provider's `agentsUnreachable` says.
    public func unreachable(_ machines: String) -> String? {
        do {
            return try bootstrap() == nil
                ? "\(machines) run hooks, services and apps through their agents, and no recipe serve answered agents: start `recipe serve` (with --advertise URL where they reach it) first"
                : nil
        } catch {
            return "cannot read which controller answers agents: \(error)"
        }
    }

    /// After the launch: these instances may register with its secret.
    public func bind(_ bootstrap: AgentBootstrap, instances: [Instance], cluster: String) throws {
        try store.bindBootstrap(bootstrap.secret, instances: instances.map(\.id), cluster: cluster, interval: bootstrap.heartbeat,
                                machines: instances.map(AgentDocuments.Machine.init))
    }

    public func forget(_ instances: [String]) throws {
        try store.forgetAgentLinks(instances)
    }

    /// What each of the cluster's agents last said, for status and failure detection.
    public func reports(cluster: String) throws -> [String: AgentReport] {
        var reports: [String: AgentReport] = [:]
        let since = try answeredSince()
        for link in try store.agentLinks(cluster: cluster) {
            reports[link.instanceID] = AgentReport(lastHeartbeat: link.heartbeatAt ?? link.registeredAt, cpuPercent: link.cpuPercent,
                                                   memoryBytes: link.memoryBytes, gone: link.isSilent(answeredSince: since))
        }
        return reports
    }

    /// Since when the running controller (the longest running) has heard agents; nil when none runs.
    func answeredSince() throws -> Date? {
        try store.controllers().map(\.startedAt).min()
    }

    /// Queues the command and waits for its agent's outcome. Cancelled, it asks the agent to
    /// stop it and throws `CommandStopped`.
    public func run(on instance: Instance, command: String, timeout: Double) async throws -> CommandResult {
        try await queue(on: instance, kind: .run, text: command, path: nil, timeout: timeout)
    }

    /// The file is written by the agent (inside its root); the secrets it refers to are put in
    /// as the controller hands it over.
    public func write(on instance: Instance, path: String, contents: String) async throws {
        let result = try await queue(on: instance, kind: .write, text: contents, path: path, timeout: 60)
        guard result.code == 0 else {
            throw CloudError("write \(path) on \(instance.name): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// The release archive downloaded by the agent from the controller; where it is on the
    /// machine (relative to its root, where commands run).
    public func stage(_ archive: URL, on instance: Instance) async throws -> String {
        let path = "var/cache/recipe/archives/" + archive.lastPathComponent
        let result = try await queue(on: instance, kind: .fetch, text: archive.lastPathComponent, path: path, timeout: 600)
        guard result.code == 0 else {
            throw CloudError("fetch of \(archive.lastPathComponent) on \(instance.name): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return path
    }

    /// What the instance's services wrote, from the copy its agent ships to the controller.
    public func serviceOutput(of instance: Instance, from offsets: [String: Int64], tail: Int) -> [ServiceOutput] {
        ServiceOutput.read(folder: store.serviceLogs.folder(of: instance.id), from: offsets, tail: tail)
    }

    private func queue(on instance: Instance, kind: CommandRecord.Kind, text: String, path: String?, timeout: Double) async throws -> CommandResult {
        try await waitForAgent(instance)
        let id = try store.enqueueCommand(instance: instance.id, command: text, timeout: timeout, kind: kind, path: path)
        let link = try store.agentLink(instance.id)
        // an agent that goes silent is given up on after its missed beats, not after the whole time limit
        let deadline = Date().addingTimeInterval(timeout + AgentLink.missedBeats * (link?.interval ?? heartbeat) + 5)
        // which controller runs is read again every second, not every round
        var since: (asked: Date, answer: Date?) = (.distantPast, nil)
        do {
            let result = try await store.awaitCommand(id, until: deadline) {
                if Date().timeIntervalSince(since.asked) >= 1 { since = (Date(), try self.answeredSince()) }
                if let link = try self.store.agentLink(instance.id), link.isSilent(answeredSince: since.answer) {
                    throw CloudError("\(instance.name) (\(instance.id)): its agent stopped answering (no heartbeat for \(Int(AgentLink.missedBeats * link.interval)) s)")
                }
            }
            if let result { return result }
        } catch is CancellationError {
            // the agent learns of the stop at its next poll for commands
            throw await store.stopCommand(id, on: instance.name, wait: 3 + 2 * heartbeat) {}
        }
        throw CloudError("command on \(instance.name) got no answer from its agent within \(Int(timeout)) s")
    }

    /// Waits for a booting instance's agent to register (its first heartbeat or registration).
    private func waitForAgent(_ instance: Instance) async throws {
        let deadline = Date().addingTimeInterval(bootWait)
        while true {
            guard let link = try store.agentLink(instance.id) else {
                throw CloudError("\(instance.name) (\(instance.id)) has no agent: it was launched while no recipe serve answered agents (start recipe serve, then replace it)")
            }
            if link.registeredAt != nil { return }
            guard Date() < deadline else {
                throw CloudError("\(instance.name) (\(instance.id)): its agent did not register within \(Int(bootWait)) s (can the instance reach the controller? see its console output)")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }
}
