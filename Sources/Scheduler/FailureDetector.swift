import Cloud
import Engine
import Foundation
import LocalCloud
import Store

/// Watches the instances of the clusters the hosted recipes declare and reports each failure once
/// as instance.failed. Locally: an agent that is gone, or silent for its layer's `heal.after` (3 s,
/// three heartbeats, when not given). On a cloud, for the layers that heal: an instance that was
/// up at the last poll and is now stopped, terminated or gone; its volumes are tagged with their
/// slot first, so the replacement gets them back.
actor FailureDetector {
    let engine: Engine
    private var reported: Set<String> = []
    /// Seconds of silence per cluster and layer (local clusters).
    private var limits: [String: [String: Double]] = [:]
    /// Cloud clusters with layers that heal, and what the last poll saw.
    private var clouds: [String: ClusterSpec] = [:]
    private var lastSeen: [String: Inventory] = [:]
    private var nextPoll: [String: Date] = [:]

    init(engine: Engine) { self.engine = engine }

    var store: Store { engine.store }

    func watch(_ declarations: [ClusterSpec]) {
        for spec in declarations {
            if spec.provider == "local" {
                limits[spec.name] = Dictionary(spec.layers.map { ($0.name, $0.healAfter ?? 3) }, uniquingKeysWith: { $1 })
            } else if spec.layers.contains(where: { $0.healAfter != nil }) {
                clouds[spec.name] = spec
            }
        }
    }

    func run(interval: Double = 0.25) async {
        while !Task.isCancelled {
            check()
            await pollClouds()
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    /// One describe per cloud cluster every `heal.after` (the shortest of its layers).
    func pollClouds(now: Date = Date()) async {
        for (name, spec) in clouds where now >= nextPoll[name, default: .distantPast] {
            let healing = Dictionary(spec.layers.compactMap { l in l.healAfter.map { (l.name, $0) } }, uniquingKeysWith: { $1 })
            nextPoll[name] = now.addingTimeInterval(healing.values.min() ?? 10)
            guard let provider = try? engine.provider(for: spec),
                  let inventory = try? await provider.describe(cluster: name) else { continue }
            defer { lastSeen[name] = inventory }
            guard let previous = lastSeen[name] else { continue }
            for old in previous.instances where healing[old.layer] != nil && [.online, .running].contains(old.state) {
                let current = inventory.instances.first { $0.id == old.id }
                guard current == nil || [.stopped, .stopping, .terminated].contains(current!.state), !reported.contains(old.id) else { continue }
                reported.insert(old.id)
                try? await provider.keepVolumes(previous.volumes.filter { $0.instanceID == old.id })
                let why = current.map { "\($0.state.rawValue) outside recipe" } ?? "terminated outside recipe"
                _ = try? store.record(Event(actor: "scheduler", cluster: name, kind: "instance.failed",
                                            subject: old.name, detail: "\(old.id): \(why)", result: "failed: \(why)"))
            }
        }
    }

    func check(now: Date = Date()) {
        for (cluster, layers) in limits {
            guard let instances = try? store.instances(cluster: cluster) else { continue }
            for instance in instances where instance.state == .online && !reported.contains(instance.id) {
                let silence = instance.lastHeartbeat.map { now.timeIntervalSince($0) } ?? 0
                let gone = instance.agentPID.map { !ProcessControl.isAlive($0) } ?? false
                let limit = layers[instance.layer] ?? 3
                guard gone || silence > limit else { continue }
                reported.insert(instance.id)
                let why = gone ? "its agent (pid \(instance.agentPID!)) is gone" : "no heartbeat for \(Int(silence)) s"
                _ = try? store.record(Event(actor: "scheduler", cluster: cluster, kind: "instance.failed",
                                            subject: instance.name, detail: "\(instance.id): \(why)", result: "failed: \(why)"))
            }
        }
    }
}
