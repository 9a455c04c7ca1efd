import Cloud
import EC2
import Hosts
import Engine
import Foundation
import LocalCloud
import MemoryCloud
import Store

/// The providers this executable knows; the one place their kinds are named. A new provider is
/// one `register` here (and its target): no engine, runtime or scheduler file changes.
enum Providers {
    static func registry(store: Store) -> ProviderRegistry {
        let registry = ProviderRegistry(defaultKind: "local")
        registry.register("local", capabilities: [.heartbeats, .commands]) { request in
            LocalProvider(store: store, executable: Executable.path, actor: request.actor)
        }
        let ec2Calls = CallLog()  // one count for every EC2 configuration a command uses
        let agents = RemoteAgents(store: store)  // EC2 instances run commands through their agents and the controller
        registry.register("ec2", capabilities: [.polling, .commands, .firewall, .ownMetrics, .images]) { request in
            let config = try AWSConfig.resolve(AWSConfig.Overrides(
                region: request.options["region"], endpoint: request.options["endpoint"],
                apiVersion: request.options["api_version"], profile: request.options["profile"]))
            return EC2Provider(config: config, calls: ec2Calls, actor: request.actor, agents: agents,
                               subnet: request.options["subnet"]) { life in
                _ = try? store.record(Event(actor: life.actor, cluster: life.cluster, kind: life.kind, subject: life.subject,
                                            detail: life.detail, time: life.time))
            }
        }
        // failures are found as on EC2: an agent silent for three of its heartbeats
        registry.register("hosts", capabilities: [.polling, .commands]) { request in
            let beside = URL(fileURLWithPath: Executable.path).deletingLastPathComponent().appendingPathComponent("recipe-agent")
            return HostsProvider(store: store, pool: try HostsProvider.pool(request.options["hosts"]), identity: request.options["identity"],
                                 agents: agents, agentBinary: FileManager.default.isExecutableFile(atPath: beside.path) ? beside : nil,
                                 actor: request.actor)
        }
        registry.register("memory", capabilities: [.heartbeats, .polling, .commands, .firewall, .ownMetrics, .images]) { request in
            memory(store).acting(as: request.actor, region: request.options["region"])
        }
        return registry
    }

    /// One memory cloud per home in a process: two over one file would each write their own copy.
    private static let memories = Locked<[String: MemoryProvider]>([:])

    private static func memory(_ store: Store) -> MemoryProvider {
        memories.withLock { memories in
            if let known = memories[store.home.path] { return known }
            let memory = MemoryProvider(file: store.home.appendingPathComponent("memory/inventory.json"))
            memory.record(to: store)
            memories[store.home.path] = memory
            return memory
        }
    }
}

extension Engine {
    /// The engine of a command: this home's Store and every provider above; commands that do
    /// long work pass `Terminal.progress` so their steps are printed as they happen.
    static func cli(_ store: Store, actor: String = Engine.defaultActor, progress: ProgressLines = .silent) -> Engine {
        Engine(store: store, registry: Providers.registry(store: store), actor: actor, progress: progress)
    }
}
