import Cloud
import Foundation
import Store

extension LocalProvider {
    public func launch(_ specs: [InstanceSpec]) async throws -> [Instance] {
        var launched: [Instance] = []
        for spec in specs {
            let instance = try inventory.insertInstance({ ip in
                Instance(id: Self.newID("i"), cluster: spec.cluster, layer: spec.layer, name: spec.name,
                         state: .pending, privateIP: ip, services: spec.services)
            }, addressBlock: LocalAddresses.instanceBlock)
            try FileManager.default.createDirectory(at: paths.logs(of: instance.id), withIntermediateDirectories: true)
            try startAgent(instance)
            record("instance.launched", cluster: spec.cluster, subject: instance.id,
                   detail: UsageTags(cause: UsageTags.currentCause(default: "manual"), layer: spec.layer,
                                     instanceType: spec.instanceType, provider: "local").appended(to: "\(spec.name) at \(instance.privateIP)"))
            launched.append(instance)
        }
        return try await waitOnline(launched.map(\.id))
    }

    public func start(_ ids: [String]) async throws {
        for id in ids {
            let instance = try instance(id)
            if instance.state.isUp, let agent = try inventory.agent(id), agent.pid != nil, !agent.gone { continue }
            try startAgent(instance)
            record("instance.started", cluster: instance.cluster, subject: id,
                   detail: UsageTags(cause: UsageTags.currentCause(default: "manual"), layer: instance.layer, provider: "local")
                       .appended(to: instance.name))
        }
        _ = try await waitOnline(ids)
    }

    public func stop(_ ids: [String]) async throws {
        try await concurrently(ids, stopAgent)
        for id in ids {
            let instance = try instance(id)
            record("instance.stopped", cluster: instance.cluster, subject: id)
        }
    }

    public func terminate(_ ids: [String]) async throws {
        try await concurrently(ids, terminateOne)
    }

    /// Runs `body` for every instance at once: each waits out its own grace period.
    private func concurrently(_ ids: [String], _ body: @escaping @Sendable (Instance) async throws -> Void) async throws {
        let instances = try ids.map { try instance($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in instances { group.addTask { try await body(instance) } }
            try await group.waitForAll()
        }
    }

    private func terminateOne(_ instance: Instance) async throws {
        try inventory.setState(instance.id, .stopping, agentPID: try inventory.agent(instance.id)?.pid)
        try await stopAgent(instance)
        for volume in try inventory.volumes(cluster: instance.cluster) where volume.instanceID == instance.id {
            try await detach(volume: volume.id)
        }
        for address in try inventory.addresses(of: instance.id) {
            try inventory.associate(address: address.ip, with: nil)
        }
        try? FileManager.default.removeItem(at: paths.root(of: instance.id))
        try inventory.deleteInstance(instance.id)
        record("instance.terminated", cluster: instance.cluster, subject: instance.id, detail: instance.name)
    }

    /// Spawns the agent detached, with its output in the instance's var/log/agent.log.
    func startAgent(_ instance: Instance) throws {
        try inventory.setState(instance.id, .pending, agentPID: nil)
        let flags = ["--instance", instance.id, "--home", store.home.path, "--heartbeat", String(heartbeat)]
        // the lean recipe-agent beside the CLI when it is there, else `recipe agent`, which also
        // speaks PostgreSQL (the lean one reads the home's SQLite file only)
        let lean = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("recipe-agent").path
        var options = store.state.engine == .sqlite && FileManager.default.isExecutableFile(atPath: lean)
            ? Spawner.Options(executable: lean, arguments: flags)
            : Spawner.Options(executable: executable, arguments: ["agent"] + flags)
        options.stdout = paths.logs(of: instance.id).appendingPathComponent("agent.log").path
        options.directory = paths.root(of: instance.id).path
        options.detach = true
        // The agent records itself as running; only fill in its pid if it has not yet.
        try inventory.setAgentPIDIfUnset(instance.id, try Spawner.spawn(options))
    }

    /// SIGTERM to the agent, which stops its services gracefully; SIGKILL to what remains.
    func stopAgent(_ instance: Instance) async throws {
        let agent = try inventory.agent(instance.id)
        guard let pid = agent?.pid, agent?.gone == false else {
            try killLeftovers(instance.id)
            try inventory.setState(instance.id, instance.state == .stopping ? .stopping : .stopped)
            return
        }
        // an agent that stopped heartbeating (hung, or SIGSTOPped) will not stop gracefully: no grace period
        let silent = agent?.lastHeartbeat.map { Date().timeIntervalSince($0) > 3 * heartbeat } ?? false
        _ = kill(pid, silent ? SIGKILL : SIGTERM)
        if !(await ProcessControl.waitForExit(pid, timeout: silent ? 5 : grace + 5)) {
            _ = kill(pid, SIGKILL)
            _ = await ProcessControl.waitForExit(pid, timeout: 5)
        }
        try killLeftovers(instance.id)
        try inventory.setState(instance.id, .stopped)
    }

    /// Services whose agent died without stopping them (their group is killed).
    func killLeftovers(_ id: String) throws {
        for pid in try inventory.processes(instance: id) where ProcessControl.isAlive(pid) {
            _ = kill(-pid, SIGKILL)
        }
        try inventory.clearProcesses(instance: id)
    }

    /// Waits until every agent has reported in, or names the ones that did not.
    func waitOnline(_ ids: [String], timeout: Double = 20) async throws -> [Instance] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let instances = try ids.map { try instance($0) }
            let agents = try ids.map { try inventory.agent($0) }
            let late = zip(instances, agents).filter { !$0.0.state.isUp || $0.1?.lastHeartbeat == nil }
            if late.isEmpty { return instances }
            for (instance, agent) in late {
                if agent?.pid != nil, agent?.gone == true {
                    let log = paths.logs(of: instance.id).appendingPathComponent("agent.log")
                    let tail = (try? String(contentsOf: log, encoding: .utf8))?.suffix(500) ?? ""
                    throw CloudError("agent of \(instance.name) (\(instance.id)) exited at start: \(tail)")
                }
            }
            if Date() >= deadline {
                throw CloudError("agents did not come online within \(Int(timeout)) s: " + late.map(\.0.name).joined(separator: ", "))
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}
