import Cloud
import Foundation
import Hummingbird
import Store

/// `/agent/v1`: what remote agents call, outbound from their instances. Registration trades the
/// one-time bootstrap secret of the instance's user data for a token; every other route takes
/// that token and speaks for its own instance only.
extension API {
    /// Seconds a poll for commands waits for one at most.
    static let longestPoll = 30

    var agentRoutes: [APIRoute] {
        [
            APIRoute(.get, "/agent/v1/recipe-agent", .open) { try $0.api.agentBinaryDownload() },
            APIRoute(.post, "/agent/v1/register", .open) { call in
                try .document(try call.store.registerAgent(call.decode(AgentDocuments.Registration.self)), status: .created)
            },
            APIRoute(.post, "/agent/v1/heartbeat", .agent) { call in
                try call.store.agentHeartbeat(try call.agentInstance(), call.decode(AgentDocuments.Heartbeat.self))
                return .response(Response(status: .noContent))
            },
            APIRoute(.get, "/agent/v1/commands", .agent) { try await $0.api.commands(for: $0) },
            APIRoute(.get, "/agent/v1/users", .agent) { call in
                try .document(AgentDocuments.MachineUsers(users: try call.store.machineUsers(instance: try call.agentInstance())))
            },
            APIRoute(.post, "/agent/v1/commands/{id}", .agent) { try $0.api.complete($0) },
            APIRoute(.get, "/agent/v1/machine", .agent) { try $0.api.machine(for: $0) },
            APIRoute(.post, "/agent/v1/events", .agent) { call in
                let events = try call.decode(AgentDocuments.ServiceEvents.self).events
                if let forged = events.first(where: { !$0.kind.hasPrefix("service.") }) {
                    throw APIProblem(400, "kind \(forged.kind): an agent reports service events only")
                }
                try call.store.recordAgentEvents(try call.agentInstance(), events)
                return .response(Response(status: .noContent))
            },
            APIRoute(.post, "/agent/v1/logs", .agent) { call in
                let logs = try call.decode(AgentDocuments.ServiceLogs.self)
                do { try call.store.keepServiceLogs(try call.agentInstance(), logs.chunks) } catch let error as CloudError {
                    throw APIProblem(400, error.description)
                }
                return .response(Response(status: .noContent))
            },
            APIRoute(.get, "/agent/v1/archives/{name}", .agent) { try $0.api.archiveDownload($0) },
        ]
    }

    private func agentBinaryDownload() throws -> APIAnswer {
        guard let agentBinary, let data = FileManager.default.contents(atPath: agentBinary.path) else {
            throw APIProblem(404, "this controller has no agent binary to hand out (recipe-agent is not beside recipe)")
        }
        return Self.file(data, type: "application/octet-stream")
    }

    /// A file's bytes as the answer.
    private static func file(_ data: Data, type: String) -> APIAnswer {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = type
        return .response(response)
    }

    /// Who the agent is and what it keeps running, its services' secrets put in.
    private func machine(for call: APICall) throws -> APIAnswer {
        let instance = try call.agentInstance()
        guard var machine = try store.agentMachine(instance) else {
            throw APIProblem(404, "\(instance) was launched without a description for its agent")
        }
        for index in machine.services.indices {
            machine.services[index].command = try store.redactor.reveal(machine.services[index].command)
            machine.services[index].env = try machine.services[index].env?.mapValues { try store.redactor.reveal($0) }
        }
        return try .document(machine)
    }

    /// A release archive of the agent's own cluster (a deploy's `fetch` command names it).
    private func archiveDownload(_ call: APICall) throws -> APIAnswer {
        let instance = try call.agentInstance()
        let name = call.parameter("name")
        guard let link = try store.agentLink(instance), let archive = try store.releaseArchive(cluster: link.cluster, name: name),
              let data = FileManager.default.contents(atPath: archive.path) else {
            throw APIProblem(404, "no release archive \(name) of this instance's cluster")
        }
        return Self.file(data, type: "application/x-tar")
    }

    /// Long poll: the instance's pending commands as soon as there are any (each handed out once,
    /// with its secrets put in), or none after `wait` seconds.
    private func commands(for call: APICall) async throws -> APIAnswer {
        let instance = try call.agentInstance()
        let wait = try call.integer("wait") ?? 0
        guard (0...Self.longestPoll).contains(wait) else { throw APIProblem(400, "wait must be 0 to \(Self.longestPoll) seconds") }
        let deadline = Date().addingTimeInterval(Double(wait))
        while true {
            let stop = try store.stopRequests(instance: instance)
            let claimed = try store.claimCommands(instance: instance)
            if !claimed.isEmpty || !stop.isEmpty || Date() >= deadline {
                var handed: [AgentDocuments.Command] = []
                for record in claimed {
                    do {
                        handed.append(AgentDocuments.Command(id: record.id!, kind: record.kind.rawValue, command: try store.redactor.reveal(record.command),
                                                             path: record.path, timeout: record.timeout))
                    } catch {
                        // a secret that is not set: the command fails here, its caller is told why
                        try store.completeCommand(record.id!, result: CommandResult(code: 127, stdout: "", stderr: "\(error)\n"))
                    }
                }
                return try .document(AgentDocuments.Commands(commands: handed, stop: stop))
            }
            try await Task.sleep(nanoseconds: 25_000_000)
        }
    }

    /// A command's outcome, once: a second report of it (an agent retrying) changes nothing.
    private func complete(_ call: APICall) throws -> APIAnswer {
        let instance = try call.agentInstance()
        guard let id = Int64(call.parameter("id")) else { throw APIProblem(400, "id: '\(call.parameter("id"))' is not a command id") }
        guard let record = try store.command(id), record.instanceID == instance else {
            throw APIProblem(404, "no command with id \(id) for \(instance)")
        }
        let completion = try call.decode(AgentDocuments.Completion.self)
        if record.state == .running || record.state == .stopping {
            try store.completeCommand(id, result: CommandResult(code: completion.code, stdout: completion.stdout, stderr: completion.stderr),
                                      stopped: completion.stopped)
        }
        return .response(Response(status: .noContent))
    }
}

extension APICall {
    /// The instance the calling agent speaks for.
    func agentInstance() throws -> String {
        guard case .agent(let instance) = identity else { throw APIProblem(403, "\(identity.actor) is not an agent") }
        return instance
    }
}
