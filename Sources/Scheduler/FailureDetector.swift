import Cloud
import Engine
import Foundation
import LocalCloud
import Store

/// Watches the local instances of the clusters the hosted recipes declare: one whose agent is
/// gone, or that missed heartbeats for its layer's `heal.after` (3 s, three heartbeats, when not
/// given), is reported once as instance.failed.
actor FailureDetector {
    let store: Store
    private var reported: Set<String> = []
    /// Seconds of silence per cluster and layer.
    private var limits: [String: [String: Double]] = [:]

    init(store: Store) { self.store = store }

    func watch(_ declarations: [ClusterSpec]) {
        for spec in declarations where spec.provider == "local" {
            limits[spec.name] = Dictionary(spec.layers.map { ($0.name, $0.healAfter ?? 3) }, uniquingKeysWith: { $1 })
        }
    }

    func run(interval: Double = 0.25) async {
        while !Task.isCancelled {
            check()
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
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
