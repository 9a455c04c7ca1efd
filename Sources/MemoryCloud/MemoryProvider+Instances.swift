import Cloud
import Foundation

extension MemoryProvider {
    public func describe(cluster: String) async throws -> Inventory {
        try check("describe")
        readChanges()
        let s = state.value
        return Inventory(
            instances: s.instances.values.filter { $0.cluster == cluster }.sorted { ($0.layer, $0.name) < ($1.layer, $1.name) },
            volumes: s.volumes.values.filter { $0.cluster == cluster }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) },
            addresses: s.addresses.values.filter { $0.cluster == cluster }.sorted { $0.ip < $1.ip },
            firewall: s.firewall[cluster] ?? [])
    }

    public func isLost(_ instance: Instance, agent: AgentReport?) -> Bool {
        instance.state.isUp && agent?.gone == true
    }

    public func health(_ instance: Instance, agent: AgentReport?) -> String {
        switch instance.state {
        case .pending: return "pending"
        case .stopping, .stopped, .terminated: return "stopped"
        default: return agent?.gone == true || state.value.impaired[instance.id] != nil ? "unhealthy" : "healthy"
        }
    }

    /// An agent on every instance that is up; a lost one is gone, its last heartbeat its launch.
    public func agents(cluster: String) async throws -> [String: AgentReport] {
        let s = state.value
        let now = clock()
        return Dictionary(uniqueKeysWithValues: s.instances.values.filter { $0.cluster == cluster && $0.state.isUp }.map { i in
            let gone = s.lost.contains(i.id)
            return (i.id, AgentReport(lastHeartbeat: gone ? i.createdAt : now, gone: gone))
        })
    }

    public func statusChecks(cluster: String, instances: [String]) async throws -> [String: String] {
        state.value.impaired.filter { instances.contains($0.key) }
    }

    public func launch(_ specs: [InstanceSpec]) async throws -> [Instance] {
        try check("launch")
        let now = clock()
        let launched = mutate { s in
            specs.map { spec in
                let id = s.nextID("i")
                let n = s.counter
                let instance = Instance(id: id, cluster: spec.cluster, layer: spec.layer, name: spec.name, state: .running,
                                        privateIP: "198.51.100.\(n % 254 + 1)", services: spec.services, createdAt: now)
                s.instances[id] = instance
                for disk in spec.disks {
                    // named for its slot, as the engine finds it again (EC2 names them from the disks tag)
                    let volume = Volume(id: s.nextID("vol"), cluster: spec.cluster, name: "\(spec.name):\(disk.name)", sizeGB: disk.sizeGB,
                                        instanceID: id, mount: disk.mount, snapshotID: disk.snapshot, createdAt: now)
                    s.volumes[volume.id] = volume
                }
                return instance
            }
        }
        let volumes = state.value.volumes.values.filter { v in launched.contains { $0.id == v.instanceID } }
        for (spec, instance) in zip(specs, launched) {
            report("instance.launched", cluster: spec.cluster, subject: instance.id,
                   detail: tags(layer: spec.layer, type: spec.instanceType).appended(to: "\(spec.name) at \(instance.privateIP)"), at: now)
            for volume in volumes.filter({ $0.instanceID == instance.id }).sorted(by: { $0.id < $1.id }) {
                report("volume.created", cluster: spec.cluster, subject: volume.id,
                       detail: tags(layer: spec.layer, sizeGB: volume.sizeGB).appended(to: "\(volume.name), \(volume.sizeGB) GB"), at: now)
            }
        }
        return launched
    }

    public func stop(_ ids: [String]) async throws {
        try check("stop")
        let stopped = try mutate { s in
            try ids.compactMap { id -> Instance? in
                let found = try instance(id, in: s)
                s.instances[id]?.state = .stopped
                return found.state.isUp ? found : nil
            }
        }
        let now = clock()
        for i in stopped { report("instance.stopped", cluster: i.cluster, subject: i.id, at: now) }
    }

    public func start(_ ids: [String]) async throws {
        try check("start")
        let started = try mutate { s in
            try ids.compactMap { id -> Instance? in
                let found = try instance(id, in: s)
                s.instances[id]?.state = .running
                s.lost.remove(id)
                return found.state.isUp ? nil : found
            }
        }
        let now = clock()
        for i in started {
            report("instance.started", cluster: i.cluster, subject: i.id, detail: tags(layer: i.layer).appended(to: i.name), at: now)
        }
    }

    /// Volumes stay, detached; addresses are let go.
    public func terminate(_ ids: [String]) async throws {
        try check("terminate")
        let gone = mutate { s in
            ids.compactMap { id -> Instance? in
                let found = s.instances[id]
                s.instances[id] = nil
                s.lost.remove(id)
                s.impaired[id] = nil
                for (vid, volume) in s.volumes where volume.instanceID == id { s.volumes[vid]?.instanceID = nil }
                for (ip, address) in s.addresses where address.instanceID == id { s.addresses[ip]?.instanceID = nil }
                return found
            }
        }
        let now = clock()
        for i in gone { report("instance.terminated", cluster: i.cluster, subject: i.id, detail: i.name, at: now) }
    }

    public func setStatus(_ ids: [String], _ new: Instance.State) async throws {
        mutate { s in for id in ids { s.instances[id]?.state = new } }
    }

    public func writeFile(on instance: String, path: String, contents: String) async throws {
        try check("writeFile")
        try mutate { s in
            _ = try self.instance(instance, in: s)
            s.files[instance, default: [:]][path] = contents
        }
    }

    public func run(on id: String, command: String, timeout: Double) async throws -> CommandResult {
        try check("run")
        let instance = try mutate { s in
            let found = try self.instance(id, in: s)
            s.commands.append([id, command])
            return found
        }
        return answer(instance, command)
    }

    public func createImage(of instance: String, name: String) async throws -> String {
        try check("createImage")
        return mutate { s in s.nextID("ami") }
    }

    public func metrics(cluster: String, instances: [String], name: String, since: Date) async throws -> [MetricSample] {
        let s = state.value
        let from = since.timeIntervalSince1970
        return instances.flatMap { id in
            (s.samples[id]?[name] ?? []).filter { $0[0] >= from }
                .map { MetricSample(instance: id, time: Date(timeIntervalSince1970: $0[0]), value: $0[1]) }
        }.sorted { $0.time < $1.time }
    }
}
