import Cloud
import Engine
import Foundation
import Store

/// Watches the instances of the clusters the hosted recipes declare and reports each failure once
/// as instance.failed, the way the cluster's provider can see it (its capabilities say which):
/// - heartbeats: an agent that is gone, or silent for its layer's `heal.after` (3 s, three
///   heartbeats, when not given), not counting the time the state could not take writes (a full
///   disk, a write lock another process held): agents could not report then;
/// - polling, for the layers that heal, one look every `heal.after`: an instance that was up at
///   the last poll and is now stopped, terminated or gone (its volumes are tagged with their slot
///   first, so the replacement gets them back), or one whose status checks are impaired.
actor FailureDetector {
    let engine: Engine
    private var reported: Set<String> = []
    /// Seconds of silence per cluster and layer (providers with heartbeats).
    private var limits: [String: [String: Double]] = [:]
    /// Clusters with layers that heal, watched by polling, and what the last poll saw.
    private var polled: [String: ClusterSpec] = [:]
    private var lastSeen: [String: Inventory] = [:]
    private var nextPoll: [String: Date] = [:]
    /// When the state was last seen unable to take writes: the home's disk (all but) full, or its
    /// write lock held past `probe`'s short wait. Agents cannot heartbeat then, though they live and
    /// serve (they deliver once it takes writes again), so silence counts only from then: a full
    /// disk or a held lock is not a cluster of lost instances to replace.
    private var lastUnwritable: Date?
    /// A connection of its own that waits a tenth of a second for the lock, to ask `takesWrites`.
    /// SQLite's only: on PostgreSQL a write waits for no file lock, and a database that refuses
    /// writes fails the controller's own calls too.
    private lazy var probe: Store? = engine.store.state.engine == .sqlite ? try? Store(home: engine.store.home, light: true, lockWait: 0.1) : nil
    /// Free bytes under which the home's disk counts as full.
    static let fullBelow: Int64 = 16 << 20

    init(engine: Engine) { self.engine = engine }

    var store: Store { engine.store }

    func watch(_ declarations: [ClusterSpec]) {
        for spec in declarations {
            let can = engine.registry.capabilities(of: spec.provider) ?? []
            if can.contains(.heartbeats) {
                limits[spec.name] = Dictionary(spec.layers.map { ($0.name, $0.healAfter ?? 3) }, uniquingKeysWith: { $1 })
            }
            // both, when the provider can do both: heartbeats miss impaired status checks and instances gone from describe
            if can.contains(.polling), spec.layers.contains(where: { $0.healAfter != nil }) {
                polled[spec.name] = spec
            }
        }
    }

    /// Destroyed clusters are watched no more.
    func forget(_ clusters: [String]) {
        for name in clusters {
            (limits[name], polled[name], lastSeen[name], nextPoll[name]) = (nil, nil, nil, nil)
        }
    }

    func run(interval: Double = 0.25) async {
        while !Task.isCancelled {
            await checkHeartbeats()
            await poll()
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    /// One describe (and one status check) per polled cluster every `heal.after` (the shortest of its layers).
    func poll(now: Date = Date()) async {
        for (name, spec) in polled where now >= nextPoll[name, default: .distantPast] {
            let healing = Dictionary(spec.layers.compactMap { l in l.healAfter.map { (l.name, $0) } }, uniquingKeysWith: { $1 })
            nextPoll[name] = now.addingTimeInterval(healing.values.min() ?? 10)
            guard let provider = try? engine.provider(for: spec),
                  let inventory = try? await provider.describe(cluster: name) else { continue }
            defer { lastSeen[name] = inventory }
            let watched = inventory.instances.filter { healing[$0.layer] != nil && [.online, .running].contains($0.state) }
            let impaired = (try? await provider.statusChecks(cluster: name, instances: watched.map(\.id))) ?? [:]
            // a remote agent that registered and then missed three heartbeats: its machine or its agent
            // is gone (a provider with heartbeats of its own is watched by checkHeartbeats instead)
            let agents = limits[name] == nil ? (try? await provider.agents(cluster: name)) ?? [:] : [:]
            for instance in watched {
                if let why = impaired[instance.id] {
                    await report(instance, cluster: name, why: why, keeping: inventory.volumes, provider)
                } else if let agent = agents[instance.id], agent.gone {
                    let silence = agent.lastHeartbeat.map { " (no heartbeat for \(Int(now.timeIntervalSince($0))) s)" } ?? ""
                    await report(instance, cluster: name, why: "its agent is silent\(silence)", keeping: inventory.volumes, provider)
                }
            }
            guard let previous = lastSeen[name] else { continue }
            for old in previous.instances where healing[old.layer] != nil && [.online, .running].contains(old.state) {
                let current = inventory.instances.first { $0.id == old.id }
                guard current == nil || [.stopped, .stopping, .terminated].contains(current!.state) else { continue }
                let why = current.map { "\($0.state.rawValue) outside recipe" } ?? "terminated outside recipe"
                await report(old, cluster: name, why: why, keeping: previous.volumes, provider)
            }
        }
    }

    /// Records the failure once per instance, after tagging its volumes with their slot: once in
    /// this process, and once in the state, where a controller that took over from one that
    /// recorded it (then died) finds it.
    private func report(_ instance: Instance, cluster: String, why: String, keeping volumes: [Volume],
                        _ provider: any CloudProvider) async {
        guard !reported.contains(instance.id) else { return }
        reported.insert(instance.id)
        let recorded = try? store.events(cluster: cluster, kind: "instance.failed").contains { $0.detail?.hasPrefix("\(instance.id): ") == true }
        guard recorded != true else { return }
        let mine = volumes.filter { $0.instanceID == instance.id }
        if !mine.isEmpty { try? await provider.keepVolumes(mine) }
        _ = try? store.record(Event(actor: "scheduler", cluster: cluster, kind: "instance.failed",
                                    subject: instance.name, detail: "\(instance.id): \(why)", result: "failed: \(why)"))
    }

    func checkHeartbeats(now: Date = Date()) async {
        if let disk = DiskSpace.of(store.home.path), disk.freeBytes < Self.fullBelow { lastUnwritable = now }
        if !limits.isEmpty, probe?.takesWrites() == false { lastUnwritable = now }
        for (cluster, layers) in limits {
            guard let provider = try? engine.provider(for: cluster),
                  let instances = try? await provider.describe(cluster: cluster).instances,
                  let agents = try? await provider.agents(cluster: cluster) else { continue }
            for instance in instances where instance.state == .online && !reported.contains(instance.id) {
                let agent = agents[instance.id]
                let silence = agent?.lastHeartbeat.map { now.timeIntervalSince(max($0, lastUnwritable ?? $0)) } ?? 0
                let gone = agent?.gone ?? false
                guard gone || silence > layers[instance.layer] ?? 3 else { continue }
                let why = gone ? "its agent\(agent?.pid.map { " (pid \($0))" } ?? "") is gone" : "no heartbeat for \(Int(silence)) s"
                await report(instance, cluster: cluster, why: why, keeping: [], provider)
            }
        }
    }
}
