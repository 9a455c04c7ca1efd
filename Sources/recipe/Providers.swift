import Cloud
import EC2
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
        registry.register("ec2", capabilities: [.polling, .firewall, .ownMetrics, .images]) { request in
            let config = try AWSConfig.resolve(AWSConfig.Overrides(
                region: request.options["region"], endpoint: request.options["endpoint"],
                apiVersion: request.options["api_version"], profile: request.options["profile"]))
            return EC2Provider(config: config, calls: ec2Calls, actor: request.actor) { life in
                _ = try? store.record(Event(actor: life.actor, cluster: life.cluster, kind: life.kind, subject: life.subject,
                                            detail: life.detail, time: life.time))
            }
        }
        registry.register("memory", capabilities: [.heartbeats, .polling, .commands, .firewall, .ownMetrics, .images]) { request in
            let memory = MemoryProvider(file: store.home.appendingPathComponent("memory/inventory.json"))
            memory.record(to: store)
            return memory.acting(as: request.actor, region: request.options["region"])
        }
        return registry
    }
}

extension Engine {
    /// The engine of a command: this home's Store and every provider above; commands that do
    /// long work pass `Terminal.progress` so their steps are printed as they happen.
    static func cli(_ store: Store, actor: String = Engine.defaultActor, progress: ProgressLines = .silent) -> Engine {
        Engine(store: store, registry: Providers.registry(store: store), actor: actor, progress: progress)
    }
}
