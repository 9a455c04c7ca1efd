import CProcess
import Cloud
import Foundation
import LocalCloud
import Store

/// The agent of a machine the home cannot reach (an EC2 instance, a registered host): its link
/// is the controller, outbound only. It trades the bootstrap secret its user data left for a
/// token, then heartbeats on one thread and long-polls for commands on another; each command
/// runs on a thread of its own and its outcome is reported until the controller has it. The
/// controller hands a command out once, so a restart of either side runs none twice. The
/// machine's services are supervised on the main thread, as the local agent does, and what
/// happens to them is told to the controller with the next heartbeat.
public final class RemoteAgent: Sendable {
    let instanceID: String
    /// Its own folder: `bootstrap` until it registered, `token` after (both 0600).
    let state: URL
    /// The machine's root: `/`, or the folder a test's machine lives in.
    let root: URL
    let link: ControllerLink
    let interval: Double
    let log: AgentLog
    private let commands = RunningCommands()
    /// Service events not yet told to the controller.
    private let outbox = Locked<[AgentDocuments.ServiceEvent]>([])
    /// Who it is, once the controller said.
    let machine = Locked<AgentDocuments.Machine?>(nil)
    /// How far each service's log was shipped (kept in `state/shipped-logs`, so a restart sends nothing twice).
    let shipped = Locked<[String: Int64]?>(nil)

    init(controller: String, instanceID: String, state: URL, root: URL, interval: Double, caFile: String?) throws {
        self.instanceID = instanceID
        self.state = state
        self.root = root
        self.interval = interval
        link = try ControllerLink(bases: controller, caFile: caFile)
        log = AgentLog(instance: instanceID, path: nil)
    }

    /// Runs the agent until it is told to stop, or its instance is no more; the exit code.
    public static func main(controller: String, instanceID: String, state: URL, root: URL, interval: Double, caFile: String?) -> Int32 {
        Agent.blockSignals()
        let agent: RemoteAgent
        do {
            agent = try RemoteAgent(controller: controller, instanceID: instanceID, state: state, root: root, interval: interval, caFile: caFile)
        } catch {
            AgentLog(instance: instanceID, path: nil).line("cannot start: \(error)")
            return 1
        }
        do {
            try agent.signIn()
        } catch {
            agent.log.line("cannot register with \(controller): \(error)")
            return 1
        }
        agent.log.line("registered with \(agent.link.base); heartbeat every \(interval) s")
        let machine = agent.describe()
        Thread.detachNewThread { agent.beat() }
        Thread.detachNewThread { agent.poll() }
        return agent.supervise(machine)
    }

    /// Who this agent is, asked of the controller until it answers (nil: it was bound without a
    /// description, and keeps no services).
    private func describe() -> AgentDocuments.Machine? {
        while true {
            do {
                let answer = try link.call("GET", "/agent/v1/machine")
                if answer.status == 404 { return nil }
                if answer.status == 401 { retire(ControllerLink.Refusal(status: 401, answer: answer.body, what: "GET /agent/v1/machine")) }
                if answer.status == 200 {
                    let described = try JSONDocument.decoder().decode(AgentDocuments.Machine.self, from: answer.body)
                    machine.withLock { $0 = described }
                    return described
                }
            } catch {}
            Thread.sleep(forTimeInterval: 1)
        }
    }

    /// The signal thread: keeps the services up until told to stop (SIGUSR1: a deploy asks for a
    /// restart; SIGCHLD: one exited).
    private func supervise(_ machine: AgentDocuments.Machine?) -> Int32 {
        let instance = machine?.instance
        let supervisor = ServiceSupervisor(
            specs: instance?.services ?? [], root: root,
            environment: instance.map { ServiceSupervisor.environment(of: $0, root: root) } ?? ["INSTANCE_ID": instanceID, "ROOT": root.path],
            hooks: .init(reveal: { $0 },  // the controller put the secrets in
                         record: { [outbox] kind, service, detail, result in
                             outbox.withLock { $0.append(AgentDocuments.ServiceEvent(kind: kind, service: service, detail: detail, result: result)) }
                         },
                         processChanged: { _, _ in }))
        supervisor.startAll()
        let stops: [Int32] = [SIGTERM, SIGINT, SIGHUP]
        while true {
            let wake = min(supervisor.nextRestart ?? .distantFuture, Date().addingTimeInterval(0.25))
            let signal = cs_wait_signal(Agent.signals, Int32(Agent.signals.count), wake.timeIntervalSinceNow)
            if stops.contains(signal) {
                commands.killAll()
                supervisor.stopAll()
                return 0
            }
            supervisor.reap()
            if signal == SIGUSR1 { supervisor.restartRequested() }
            supervisor.restartDue()
            supervisor.boundLogs()
        }
    }

    /// The token kept from an earlier start, or the bootstrap secret traded for one. The
    /// controller may not be up yet: it is asked again every second.
    func signIn() throws {
        let tokenFile = state.appendingPathComponent("token")
        if let token = try? String(contentsOf: tokenFile, encoding: .utf8), !token.isEmpty {
            link.token.withLock { $0 = token.trimmingCharacters(in: .whitespacesAndNewlines) }
            return
        }
        let bootstrapFile = state.appendingPathComponent("bootstrap")
        guard let bootstrap = try? String(contentsOf: bootstrapFile, encoding: .utf8) else {
            throw CloudError("neither a token nor a bootstrap secret in \(state.path)")
        }
        let registration = AgentDocuments.Registration(instance: instanceID, bootstrap: bootstrap.trimmingCharacters(in: .whitespacesAndNewlines),
                                                       host: Self.hostDescription())
        while true {
            do {
                let answer = try link.send("POST", "/agent/v1/register", registration)
                let registered = try JSONDocument.decoder().decode(AgentDocuments.Registered.self, from: answer.body)
                try SecretVault.writePrivate(Data(registered.token.utf8), to: tokenFile)
                try? FileManager.default.removeItem(at: bootstrapFile)
                link.token.withLock { $0 = registered.token }
                return
            } catch let refusal as ControllerLink.Refusal where refusal.status < 500 {
                throw refusal
            } catch {
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// A heartbeat every interval, with the machine's samples; a controller that no longer knows
    /// the token (the instance was terminated) ends the agent.
    private func beat() {
        let sampler = ProcessSampler(root: getpid())
        var quietSince: Date?
        var beats = 0
        var through = link.base
        while true {
            let sample = sampler.sample()
            let beat = AgentDocuments.Heartbeat(cpuPercent: sample.cpuPercent, memoryBytes: sample.memoryBytes,
                                                memoryPercent: sample.memoryPercent, load: sample.load)
            do {
                _ = try link.send("POST", "/agent/v1/heartbeat", beat, timeout: max(2, interval))
                if let since = quietSince { log.line("the controller answers again (it did not for \(Int(Date().timeIntervalSince(since))) s)") }
                quietSince = nil
                if link.base != through {
                    log.line("\(through) does not answer: on with the controller at \(link.base)")
                    through = link.base
                }
                syncLogins()
                tellEvents()
                shipLogs()
                beats += 1
                if beats == 2 { StartupPages.release() }  // started: signed in, services up, a beat answered
            } catch let refusal as ControllerLink.Refusal where refusal.status == 401 {
                retire(refusal)
            } catch {
                if quietSince == nil {
                    quietSince = Date()
                    log.line("the controller does not answer (\(error)); services keep running, retrying")
                }
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// The cluster's users, as logins on this machine (with each heartbeat: a revoked one is gone
    /// within one interval of the change).
    private func syncLogins() {
        guard let answer = try? link.call("GET", "/agent/v1/users", timeout: max(2, interval)), answer.status == 200,
              let listed = try? JSONDocument.decoder().decode(AgentDocuments.MachineUsers.self, from: answer.body) else { return }
        let changes = MachineLogins(root: root, managed: state.appendingPathComponent("users")).apply(listed.users)
        if !changes.isEmpty { log.line("logins: " + changes.joined(separator: "; ")) }
    }

    /// The services' events, told once the controller has them (kept for the next beat otherwise).
    private func tellEvents() {
        let events = outbox.withLock { pending in
            defer { pending = [] }
            return pending
        }
        guard !events.isEmpty else { return }
        do {
            _ = try link.send("POST", "/agent/v1/events", AgentDocuments.ServiceEvents(events: events))
        } catch let refusal as ControllerLink.Refusal where refusal.status < 500 {
            log.line("the controller refused \(events.count) service events: \(refusal)")
        } catch {
            outbox.withLock { $0.insert(contentsOf: events, at: 0) }
        }
    }

    /// Long polls for commands; each runs on a thread of its own.
    private func poll() {
        while true {
            do {
                let answer = try link.call("GET", "/agent/v1/commands?wait=20", timeout: 30)
                if answer.status == 401 { retire(ControllerLink.Refusal(status: 401, answer: answer.body, what: "GET /agent/v1/commands")) }
                guard answer.status == 200 else {
                    Thread.sleep(forTimeInterval: 1)
                    continue
                }
                let work = try JSONDocument.decoder().decode(AgentDocuments.Commands.self, from: answer.body)
                work.stop.forEach(commands.stop)
                for command in work.commands {
                    Thread.detachNewThread { [self] in
                        let (result, stopped) = execute(command)
                        complete(command, result, stopped: stopped)
                    }
                }
            } catch {
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    private func execute(_ command: AgentDocuments.Command) -> (result: CommandResult, stopped: Bool) {
        switch command.kind {
        case CommandRecord.Kind.run.rawValue:
            return commands.run(command.command, timeout: command.timeout, id: command.id,
                                with: ShellRun(root: root, environment: commandEnvironment))
        case CommandRecord.Kind.write.rawValue:
            return (write(command.command, to: command.path ?? ""), false)
        case CommandRecord.Kind.fetch.rawValue:
            return (fetch(command.command, to: command.path ?? ""), false)
        default:
            return (CommandResult(code: 127, stdout: "", stderr: "this agent does not know commands of kind \(command.kind)\n"), false)
        }
    }

    /// What a command finds in its environment, as on a local instance.
    private var commandEnvironment: [String: String] {
        guard let described = machine.value else { return ["INSTANCE_ID": instanceID] }
        return ["ADDRESS": described.address, "INSTANCE_ID": instanceID, "CLUSTER": described.cluster, "LAYER": described.layer]
    }

    /// A file written whole, inside the machine's root.
    private func write(_ contents: String, to path: String) -> CommandResult {
        let result = place(Data(contents.utf8), at: path)
        if result.code == 0 { WrittenFiles(state: state).add(path) }
        return result
    }

    /// A release archive of the cluster's, downloaded from the controller to `path`.
    private func fetch(_ archive: String, to path: String) -> CommandResult {
        do {
            let answer = try link.call("GET", "/agent/v1/archives/" + archive, timeout: 300)
            guard answer.status == 200 else { throw ControllerLink.Refusal(status: answer.status, answer: answer.body, what: "GET archive \(archive)") }
            return place(answer.body, at: path)
        } catch {
            return CommandResult(code: 1, stdout: "", stderr: "\(error)\n")
        }
    }

    /// `data` as the file at `path` (absolute, or relative to the root, where commands run).
    private func place(_ data: Data, at path: String) -> CommandResult {
        do {
            let url = try MachinePath.resolve(path, root: root, followLast: true)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
            return CommandResult(code: 0, stdout: "", stderr: "")
        } catch {
            return CommandResult(code: 1, stdout: "", stderr: "\(error)\n")
        }
    }

    /// The outcome, told until the controller has it (404: it already had it, or gave up).
    private func complete(_ command: AgentDocuments.Command, _ result: CommandResult, stopped: Bool) {
        let completion = AgentDocuments.Completion(code: result.code, stdout: result.stdout, stderr: result.stderr, stopped: stopped)
        while true {
            do {
                _ = try link.send("POST", "/agent/v1/commands/\(command.id)", completion)
                return
            } catch let refusal as ControllerLink.Refusal where refusal.status < 500 {
                if refusal.status == 401 { retire(refusal) }
                return
            } catch {
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// The controller no longer knows this agent: its instance is gone, and so is the agent.
    private func retire(_ refusal: ControllerLink.Refusal) -> Never {
        log.line("stopping: \(refusal)")
        commands.killAll()
        exit(0)
    }

    /// `recipe-agent --forget machine`: a terminated host's logins taken back and the files its
    /// hooks wrote removed, before its agent's own files go.
    public static func forgetMachine(state: URL, root: URL) -> Int32 {
        let changes = MachineLogins(root: root, managed: state.appendingPathComponent("users")).forgetAll()
        if !changes.isEmpty { print("logins: " + changes.joined(separator: "; ")) }
        let removed = WrittenFiles(state: state).removeAll(root: root)
        if removed > 0 { print("removed \(removed) files the cluster's hooks wrote") }
        return 0
    }

    static func hostDescription() -> String {
        "\(SystemName.system.lowercased()) \(SystemName.machine) \(ProcessInfo.processInfo.hostName)"
    }
}
