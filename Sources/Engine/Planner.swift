import Cloud
import Store

/// Computes a plan from a declaration and one read of the inventory; changes nothing.
struct Planner {
    let spec: ClusterSpec
    let inventory: Inventory
    /// The apps as the last apply declared them.
    let recordedApps: [String: AppSpec]
    /// Apps that were deployed once and have no current release now (`recipe undeploy`): apply deploys them again.
    let undeployedApps: Set<String>
    /// Rollouts that were interrupted, with what each instance runs.
    let unfinished: [UnfinishedDeploy]
    let firewall: [FirewallRecord]
    let users: [UserRecord]
    let isLost: (Instance) -> Bool

    init(spec: ClusterSpec, inventory: Inventory, recordedApps: [String: AppSpec], undeployedApps: Set<String> = [],
         unfinished: [UnfinishedDeploy] = [], firewall: [FirewallRecord], users: [UserRecord], isLost: @escaping (Instance) -> Bool) {
        (self.spec, self.inventory, self.recordedApps, self.undeployedApps) = (spec, inventory, recordedApps, undeployedApps)
        self.unfinished = unfinished
        (self.firewall, self.users, self.isLost) = (firewall, users, isLost)
    }

    func plan() -> Plan {
        var plan = Plan(cluster: spec.name, inventory: inventory)
        let byName = Dictionary(inventory.instances.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = Set(spec.layers.flatMap(\.instanceNames))
        let volumeNames = Set(inventory.volumes.map(\.name))

        // Beyond the declared counts, highest slot first.
        for instance in inventory.instances.filter({ !wanted.contains($0.name) }).sorted(by: { Self.slotOrder($1, $0) }) {
            plan.terminations.append(instance)
            plan.add(.destroy, "instance", instance.name, "\(instance.id); its volumes are kept, detached")
        }

        for layer in spec.layers {
            for name in layer.instanceNames {
                let launch = Plan.Launch(spec: InstanceSpec(
                    cluster: spec.name, layer: layer.name, name: name, services: layer.services + appServices(layer),
                    instanceType: layer.instanceType, image: layer.image,
                    // a slot whose volume survived its instance gets that volume attached, not a new disk
                    disks: layer.volumes.filter { !volumeNames.contains($0.volumeName(for: name)) }
                        .map { DiskSpec(name: $0.name, sizeGB: $0.sizeGB, mount: $0.mount, snapshot: $0.snapshots[name]) },
                    heartbeat: layer.heartbeat))
                guard let instance = byName[name] else {
                    plan.launches.append(launch)
                    plan.add(.add, "instance", name, carried(layer, name))
                    continue
                }
                if isLost(instance) {
                    plan.launches.append(Plan.Launch(spec: launch.spec, replacing: instance))
                    plan.add(.add, "instance", name, "replaces lost \(instance.id)")
                    continue
                }
                switch instance.state {
                case .stopped, .stopping:
                    plan.starts.append(instance)
                    plan.add(.change, "instance", name, "start (\(instance.state.rawValue))")
                case .running, .pending, .setupFailed:
                    plan.setups.append(instance)
                    plan.add(.change, "instance", name, "run setup again (\(instance.state.rawValue))")
                case .online, .terminated:
                    break
                }
                if planRepairs(layer, instance, into: &plan) { plan.repairs.append(instance) }
            }
        }
        planAccess(into: &plan)
        planApps(into: &plan)
        return plan
    }

    /// Slots in order: by layer, then by number, so web-10 comes after web-9 (not after web-1).
    static func slotOrder(_ a: Instance, _ b: Instance) -> Bool {
        func number(_ i: Instance) -> Int { LayerSpec.slot(of: i.name)?.number ?? 0 }
        return (a.layer, number(a), a.name) < (b.layer, number(b), b.name)
    }

    /// A deployed app whose declaration changed (say its ref) is deployed again, batch by batch.
    private func planApps(into plan: inout Plan) {
        // an interrupted rollout first: `~ app shop: finish deploy v2 (R) on web-3, or roll back web-1, web-2; run finishes it`
        for open in unfinished {
            let finish = open.finishedBy(spec.apps[open.app])
            plan.unfinished[open.app] = finish
            plan.add(.change, "app", open.app, open.summary + "; recipe run " + (finish ? "finishes it" : "rolls it back"))
        }
        for (name, app) in spec.apps.sorted(by: { $0.key < $1.key }) {
            guard let was = recordedApps[name], was != app, app.deployable else { continue }
            let what = was.source != app.source ? "source \(was.source) → \(app.source)" : was.ref != app.ref ? "ref \(was.ref) → \(app.ref)" : "settings"
            plan.redeploys[name] = was
            plan.add(.change, "app", name, "\(what) changed: rolling deploy")
        }
        // Undeployed, yet declared on layers with instances: apply gives it its declared ref again.
        for name in undeployedApps.sorted() where plan.redeploys[name] == nil {
            guard let app = spec.apps[name], app.deployable,
                  spec.layers.contains(where: { $0.apps.contains(name) && !$0.instanceNames.isEmpty }) else { continue }
            plan.add(.add, "app", name, "undeployed: deploys \(app.ref) again")
        }
    }

    /// Each app of the layer runs as a service of its instances, from the app's current release.
    private func appServices(_ layer: LayerSpec) -> [ServiceSpec] {
        layer.apps.compactMap { spec.apps[$0] }.filter(\.deployable).map(\.service)
    }

    /// What a new instance comes with, for its plan line.
    private func carried(_ layer: LayerSpec, _ name: String) -> String? {
        var parts = layer.volumes.map { volume -> String in
            let reused = inventory.volumes.contains { $0.name == volume.volumeName(for: name) }
            let from = volume.snapshots[name].map { " from \($0)" } ?? ""
            return "\(reused ? "reattach" : "new") volume \(volume.name) \(volume.sizeGB) GB at \(volume.mount)\(from)"
        }
        if layer.elasticIP { parts.append("elastic ip") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Volumes and addresses an existing instance lacks.
    private func planRepairs(_ layer: LayerSpec, _ instance: Instance, into plan: inout Plan) -> Bool {
        var repairs = false
        for volume in layer.volumes {
            let name = volume.volumeName(for: instance.name)
            if let existing = inventory.volumes.first(where: { $0.name == name }) {
                if existing.instanceID != instance.id || existing.mount != volume.mount {
                    plan.add(.change, "volume", name, "attach to \(instance.name) at \(volume.mount)")
                    repairs = true
                }
            } else {
                plan.add(.add, "volume", name, "\(volume.sizeGB) GB at \(volume.mount)")
                repairs = true
            }
        }
        if layer.elasticIP, !inventory.addresses.contains(where: { $0.instanceID == instance.id }) {
            plan.add(.add, "address", "for \(instance.name)")
            repairs = true
        }
        return repairs
    }

    /// Firewall rules per layer, and users.
    private func planAccess(into plan: inout Plan) {
        // the cloud's own firewall where it enforces one, else what the Store recorded
        let current = Set(inventory.firewall
            ?? firewall.map { FirewallRule(layer: $0.layer, port: $0.port, proto: $0.protocol, source: $0.source) })
        let declared = Set(spec.firewall)
        for layer in Set(current.map(\.layer)).union(declared.map(\.layer)).sorted() {
            let added = declared.subtracting(current).filter { $0.layer == layer }.sorted().map { "+" + $0.text }
            let removed = current.subtracting(declared).filter { $0.layer == layer }.sorted().map { "-" + $0.text }
            if !added.isEmpty || !removed.isEmpty {
                plan.add(.change, "firewall", layer, (added + removed).joined(separator: ", "))
                plan.accessChanged = true
            }
        }
        let existing = Dictionary(users.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for user in spec.users {
            if let old = existing[user.name] {
                if old.role != user.role || old.sshKey != user.sshKey || old.sudo != user.sudo {
                    plan.add(.change, "user", user.name, old.role == user.role ? "key or sudo" : "role \(old.role) → \(user.role)")
                    plan.accessChanged = true
                }
            } else {
                plan.add(.add, "user", user.name, user.role)
                plan.accessChanged = true
            }
        }
        for old in users where !spec.users.contains(where: { $0.name == old.name }) {
            plan.add(.destroy, "user", old.name)
            plan.accessChanged = true
        }
    }
}
