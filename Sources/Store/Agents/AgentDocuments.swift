import Cloud
import Foundation

/// What a remote agent and the controller's `/agent/v1` routes say to each other, in JSON:
/// one set of types, encoded by one side and decoded by the other.
public enum AgentDocuments {
    /// POST /agent/v1/register: the one-time bootstrap secret from the instance's user data.
    public struct Registration: Codable, Sendable {
        public var instance: String
        public var bootstrap: String
        public var host: String?
        public init(instance: String, bootstrap: String, host: String?) {
            (self.instance, self.bootstrap, self.host) = (instance, bootstrap, host)
        }
    }

    /// The token the agent uses from then on (shown once), and its heartbeat interval.
    public struct Registered: Codable, Sendable {
        public var token: String
        public var heartbeat: Double
        public init(token: String, heartbeat: Double) { (self.token, self.heartbeat) = (token, heartbeat) }
    }

    /// POST /agent/v1/heartbeat.
    public struct Heartbeat: Codable, Sendable {
        public var cpuPercent: Double
        public var memoryBytes: Int64
        public var memoryPercent: Double
        public var load: Double
        public init(cpuPercent: Double, memoryBytes: Int64, memoryPercent: Double, load: Double) {
            (self.cpuPercent, self.memoryBytes, self.memoryPercent, self.load) = (cpuPercent, memoryBytes, memoryPercent, load)
        }
        enum CodingKeys: String, CodingKey {
            case cpuPercent = "cpu_percent", memoryBytes = "memory_bytes", memoryPercent = "memory_percent", load
        }
    }

    /// One command handed out by GET /agent/v1/commands: secrets already put in.
    public struct Command: Codable, Sendable, Equatable {
        public var id: Int64
        public var kind: String
        /// Shell text for `run`; the file's contents for `write`.
        public var command: String
        public var path: String?
        public var timeout: Double
        public init(id: Int64, kind: String, command: String, path: String?, timeout: Double) {
            (self.id, self.kind, self.command, self.path, self.timeout) = (id, kind, command, path, timeout)
        }
    }

    /// The commands to run now, and the ids of running ones whose callers stopped waiting.
    public struct Commands: Codable, Sendable {
        public var commands: [Command]
        public var stop: [Int64]
        public init(commands: [Command], stop: [Int64]) { (self.commands, self.stop) = (commands, stop) }
    }

    /// POST /agent/v1/commands/{id}: how it ended.
    public struct Completion: Codable, Sendable {
        public var code: Int32
        public var stdout: String
        public var stderr: String
        public var stopped: Bool
        public init(code: Int32, stdout: String, stderr: String, stopped: Bool) {
            (self.code, self.stdout, self.stderr, self.stopped) = (code, stdout, stderr, stopped)
        }
    }

    /// A person the machine lets in: their key in `~NAME/.ssh/authorized_keys`, and with `sudo` a
    /// sudoers.d entry. GET /agent/v1/users lists the instance's cluster's, every heartbeat.
    public struct MachineUser: Codable, Sendable, Equatable {
        public var name: String
        public var sshKey: String
        public var sudo: Bool
        public init(name: String, sshKey: String, sudo: Bool) { (self.name, self.sshKey, self.sudo) = (name, sshKey, sudo) }
        enum CodingKeys: String, CodingKey { case name, sshKey = "ssh_key", sudo }
    }

    public struct MachineUsers: Codable, Sendable {
        public var users: [MachineUser]
        public init(users: [MachineUser]) { self.users = users }
    }

    /// GET /agent/v1/machine: who the agent is (its instance as the inventory knows it) and the
    /// services it keeps running, secrets put in. Kept with the link at launch.
    public struct Machine: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var cluster: String
        public var layer: String
        public var address: String
        public var services: [ServiceSpec]
        public init(_ instance: Instance) {
            (id, name, cluster, layer, address, services) = (instance.id, instance.name, instance.cluster, instance.layer,
                                                              instance.privateIP, instance.services)
        }
        /// The instance it describes (state and times are the inventory's business, not the agent's).
        public var instance: Instance {
            Instance(id: id, cluster: cluster, layer: layer, name: name, state: .online, privateIP: address, services: services)
        }
    }

    /// POST /agent/v1/events: what happened to the machine's services (kinds `service.*` only).
    public struct ServiceEvent: Codable, Sendable, Equatable {
        public var kind: String
        public var service: String
        public var detail: String?
        public var result: String
        public init(kind: String, service: String, detail: String?, result: String) {
            (self.kind, self.service, self.detail, self.result) = (kind, service, detail, result)
        }
    }

    public struct ServiceEvents: Codable, Sendable {
        public var events: [ServiceEvent]
        public init(events: [ServiceEvent]) { self.events = events }
    }

    /// What a service wrote since the agent last shipped its log (whole lines, at most
    /// `ServiceLogMirror.chunkLimit` bytes a service a beat).
    public struct ServiceLogChunk: Codable, Sendable, Equatable {
        public var service: String
        public var text: String
        public init(service: String, text: String) { (self.service, self.text) = (service, text) }
    }

    public struct ServiceLogs: Codable, Sendable {
        public var chunks: [ServiceLogChunk]
        public init(chunks: [ServiceLogChunk]) { self.chunks = chunks }
    }
}
