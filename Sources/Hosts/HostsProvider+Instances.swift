import Cloud
import Foundation
import Store

extension HostsProvider {
    /// Each instance on the next free host, all at once: a host taken, its agent bound to a
    /// one-time secret, copied and started over SSH. A host that fails goes back, and nothing
    /// of that launch stays bound to it.
    public func launch(_ specs: [InstanceSpec]) async throws -> [Instance] {
        // a secret of its own for each host, at its layer's heartbeat
        let bootstraps = try specs.map { spec in
            guard let bootstrap = try agents.bootstrap(interval: spec.heartbeat) else {
                throw CloudError(agentsUnreachable() ?? "no controller answers agents")
            }
            return bootstrap
        }
        let launches: [@Sendable () async throws -> Instance] = zip(specs, bootstraps).map { spec, bootstrap in
            { try await self.launch(spec, bootstrap: bootstrap) }
        }
        return try await all(launches)
    }

    private func launch(_ spec: InstanceSpec, bootstrap: AgentBootstrap) async throws -> Instance {
        let id = Self.newID("h-")
        guard let machine = try store.claimHost(pool: pool, identity: identity, cluster: spec.cluster, layer: spec.layer,
                                                instanceID: id, name: spec.name) else {
            throw CloudError("layer \(spec.layer): no free host for \(spec.name) (\(pool.count) in provider.hosts, all serving; add one there or `recipe register \(spec.cluster) \(spec.layer) ssh://user@host`)")
        }
        let address = try HostAddress(parsing: machine.address)
        let instance = Instance(id: id, cluster: spec.cluster, layer: spec.layer, name: spec.name, state: .running,
                                privateIP: address.host, services: spec.services)
        do {
            try agents.bind(bootstrap, instances: [instance], cluster: spec.cluster)
            try await install(bootstrap, as: id, on: machine)
            for disk in spec.disks {
                let volume = HostVolume(id: "hv-" + id.dropFirst(2) + "-" + disk.name, cluster: spec.cluster, name: "\(spec.name):\(disk.name)",
                                        sizeGB: disk.sizeGB)
                try store.saveHostVolume(volume)
                try await attach(volume: volume.id, to: id, at: disk.mount)
            }
        } catch {
            try? agents.forget([id])
            // whatever got there goes (an agent that started would stop at its refused heartbeat anyway)
            if let ssh = try? shell(machine) {
                _ = try? await ssh.run(Self.cleanup(prefix: Self.prefix(ssh.address), services: spec.services.map(\.name)))
            }
            // a pool host goes back to the pool, a registered one stays set aside for the next try
            try? store.releaseHost(instance: id)
            throw error
        }
        try store.setHostState([id], .running)
        let usage = UsageTags(cause: UsageTags.currentCause(default: "manual"), layer: spec.layer, instanceType: "host", region: nil, provider: kind)
        try record("instance.launched", cluster: spec.cluster, subject: id, detail: usage.appended(to: "\(spec.name) on \(address)"))
        return instance
    }

    /// OpenSSH's steps, as `aws opsworks register` and `juju add-machine ssh:` take them: root
    /// or password-less sudo, the OS and architecture, the agent copied, the bootstrap run.
    func install(_ bootstrap: AgentBootstrap, as id: String, on machine: HostMachine) async throws {
        let ssh = try shell(machine)
        let prefix = Self.prefix(ssh.address)
        let probe = try await ssh.check("uname -sm && id -u", doing: "the first contact (root, or sudo without a password)")
        let system = probe.split(separator: "\n").first.map(String.init) ?? ""
        guard system.hasPrefix("Linux") else { throw CloudError("\(ssh.address): the agent runs on Linux, this host says \(system)") }
        if let agentBinary, system.hasSuffix(" " + SystemName.machine) {
            let bin = prefix + "/usr/local/bin/recipe-agent"
            try await ssh.check("mkdir -p \(prefix + "/usr/local/bin") && cat > \(bin + ".new") && chmod 755 \(bin + ".new") && mv \(bin + ".new") \(bin)",
                                input: agentBinary, doing: "copying the agent")
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-bootstrap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: script) }
        try SecretVault.writePrivate(Data(bootstrap.userData.utf8), to: script)
        try await ssh.check("""
            f=$(mktemp) && cat > "$f" && PREFIX=\(prefix) INSTANCE_ID=\(id) sh "$f" </dev/null; code=$?; rm -f "$f"; exit $code
            """, input: script, doing: "starting the agent")
    }

    /// Each agent stopped and what the tool put on its host removed; the host serves nothing again.
    public func terminate(_ ids: [String]) async throws {
        try await all(ids.map { id in { try await self.terminate(id) } })
    }

    private func terminate(_ id: String) async throws {
        guard let machine = try store.hostMachine(instance: id) else { return }
        let ssh = try shell(machine)
        let services = (try store.agentMachine(id))?.services.map(\.name) ?? []
        for volume in try store.hostVolumes(cluster: machine.cluster) where volume.instanceID == id {
            do {
                try await detach(volume: volume.id)
            } catch {
                // an unreachable host keeps its link; the volume is detached in the record all the same
                var detached = volume
                detached.instanceID = nil
                try store.saveHostVolume(detached)
            }
        }
        let cleaned = try await ssh.run(Self.cleanup(prefix: Self.prefix(ssh.address), services: services))
        var detail = "\(machine.name ?? id) on \(machine.address)"
        if cleaned.code == 255 {
            // the machine is gone (what a heal replaces): it is forgotten all the same, and should
            // it come back, its agent finds its token refused and stops; its files stay there
            detail += " (unreachable: \(cleaned.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "no answer"); its files were not removed)"
        } else if cleaned.code != 0 {
            throw CloudError("\(machine.address): stopping the agent failed (exit \(cleaned.code)): \(cleaned.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        try agents.forget([id])
        try store.releaseHost(instance: id)
        try record("instance.terminated", cluster: machine.cluster, subject: id, detail: detail)
    }

    /// Stops the agent (its services with it) and removes its files, the services' logs and the
    /// apps' folders; folders it made are removed when empty. Nothing else on the host is touched.
    static func cleanup(prefix: String, services: [String]) -> ShellCommand {
        let apps = services.filter { $0.hasPrefix("app-") }.map { String($0.dropFirst(4)) }
        let words = { (names: [String]) in ShellCommand.joined(names.map { "\($0)" }, separator: " ") }
        return """
            prefix=\(prefix); state="$prefix/var/lib/recipe-agent"; bin="$prefix/usr/local/bin/recipe-agent"
            if [ -z "$prefix" ] && [ -f /etc/systemd/system/recipe-agent.service ]; then
              systemctl disable --now recipe-agent >/dev/null 2>&1; rm -f /etc/systemd/system/recipe-agent.service; systemctl daemon-reload
            fi
            if [ -f "$state/agent.pid" ]; then
              pid=$(cat "$state/agent.pid"); kill "$pid" 2>/dev/null; i=0
              while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
              kill -9 "$pid" 2>/dev/null
            fi
            [ -x "$bin" ] && "$bin" --forget machine --state "$state" --root "${prefix:-/}"
            rm -rf "$state" "$bin" "$prefix/var/log/recipe-agent.log" "$prefix/var/cache/recipe"
            for s in \(words(services)); do rm -f "$prefix/var/log/$s.log" "$prefix/run/restart-$s" "$prefix/run/$s.pid"; done
            for a in \(words(apps)); do rm -rf "$prefix/srv/apps/$a"; done
            # in a host's folder, the folders it made go when empty (a whole machine's are its own)
            if [ -n "$prefix" ]; then
              for d in usr/local/bin usr/local usr var/lib/recipe/volumes var/lib/recipe var/lib var/log var/cache var/run var run srv/apps srv; do
                rmdir "$prefix/$d" 2>/dev/null
              done
            fi
            true
            """
    }

    /// A new id: `prefix` and 12 random hex digits (`h-` instances, `hv-` volumes).
    static func newID(_ prefix: String) -> String {
        prefix + String(format: "%012llx", UInt64.random(in: 0...0xffff_ffff_ffff))
    }

    /// The agent's PREFIX on the host: empty for the whole machine, else the host's root folder.
    static func prefix(_ address: HostAddress) -> String { address.root == "/" ? "" : address.root }

    func record(_ kind: String, cluster: String, subject: String, detail: String) throws {
        _ = try store.record(Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: detail))
    }
}
