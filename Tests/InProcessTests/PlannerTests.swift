import Cloud
@testable import Engine
import Foundation
import Store
import Testing

/// The planner is pure: a declaration and one read of the inventory in, a plan out.
@Suite struct PlannerTests {
    static func instance(_ name: String, _ state: Instance.State = .online, id: String? = nil) -> Instance {
        let layer = String(name[..<name.lastIndex(of: "-")!])
        return Instance(id: id ?? "i-\(name)", cluster: "shop", layer: layer, name: name, state: state, privateIP: "10.0.0.1")
    }

    static func volume(_ name: String, on instance: String?, mount: String? = "/srv/data") -> Volume {
        Volume(id: "vol-\(name)", cluster: "shop", name: name, sizeGB: 2, instanceID: instance, mount: instance == nil ? nil : mount)
    }

    func plan(_ spec: ClusterSpec, _ inventory: Inventory, recordedApps: [String: AppSpec] = [:],
              firewall: [FirewallRecord] = [], users: [UserRecord] = [], lost: Set<String> = []) -> Plan {
        Planner(spec: spec, inventory: inventory, recordedApps: recordedApps, firewall: firewall, users: users,
                isLost: { lost.contains($0.id) }).plan()
    }

    @Test func scaleUpLaunchesTheMissingSlots() {
        let p = plan(memorySpec(layers: [LayerSpec(name: "web", count: 3)]), Inventory(instances: [Self.instance("web-1")]))
        #expect(p.launches.map(\.spec.name) == ["web-2", "web-3"])
        #expect(p.steps.map(\.line) == ["+ instance web-2", "+ instance web-3"])
        #expect(p.summary == "Plan: 2 to add, 0 to change, 0 to destroy.")
        #expect(p.membershipChanges)
    }

    @Test func scaleDownTerminatesTheHighestSlotFirst() {
        let p = plan(memorySpec(layers: [LayerSpec(name: "web", count: 1)]),
                     Inventory(instances: ["web-1", "web-2", "web-3"].map { Self.instance($0) }))
        #expect(p.terminations.map(\.name) == ["web-3", "web-2"])
        #expect(p.steps.first?.line == "- instance web-3 (i-web-3; its volumes are kept, detached)")
        #expect(p.launches.isEmpty)
    }

    /// Slots are numbers: web-12 is higher than web-9 (a string sort would put web-9 first).
    @Test func scaleDownOrdersSlotsByNumberPastNine() {
        let p = plan(memorySpec(layers: [LayerSpec(name: "web", count: 8)]),
                     Inventory(instances: (1...12).map { Self.instance("web-\($0)") }))
        #expect(p.terminations.map(\.name) == ["web-12", "web-11", "web-10", "web-9"])
    }

    @Test func aLostInstanceIsReplacedInItsSlotKeepingItsVolume() {
        let spec = memorySpec(layers: [webWithVolume(2)])
        let inventory = Inventory(instances: [Self.instance("web-1"), Self.instance("web-2")],
                                  volumes: [Self.volume("web-1:data", on: "i-web-1"), Self.volume("web-2:data", on: "i-web-2")])
        let p = plan(spec, inventory, lost: ["i-web-2"])
        #expect(p.launches.count == 1)
        #expect(p.launches.first?.spec.name == "web-2")
        #expect(p.launches.first?.replacing?.id == "i-web-2")
        #expect(p.launches.first?.spec.disks == [], "the surviving volume is reattached, no new disk")
        #expect(p.steps.map(\.line) == ["+ instance web-2 (replaces lost i-web-2)"])
    }

    @Test func aNewSlotGetsANewDiskFromItsDeclaredSnapshot() {
        var web = webWithVolume(1)
        web.volumes[0].snapshots = ["web-1": "snap-1"]
        let p = plan(memorySpec(layers: [web]), Inventory())
        #expect(p.launches.first?.spec.disks == [DiskSpec(name: "data", sizeGB: 2, mount: "/srv/data", snapshot: "snap-1")])
        #expect(p.steps.first?.line == "+ instance web-1 (new volume data 2 GB at /srv/data from snap-1)")
    }

    @Test func aStoppedInstanceIsStartedNotReplaced() {
        let p = plan(memorySpec(layers: [LayerSpec(name: "web", count: 1)]), Inventory(instances: [Self.instance("web-1", .stopped)]))
        #expect(p.starts.map(\.id) == ["i-web-1"])
        #expect(p.launches.isEmpty)
        #expect(p.steps.map(\.line) == ["~ instance web-1: start (stopped)"])
    }

    @Test(arguments: [Instance.State.setupFailed, .running])
    func anInstanceThatIsUpButNotOnlineRunsSetupAgain(_ state: Instance.State) {
        let p = plan(memorySpec(layers: [LayerSpec(name: "web", count: 1)]), Inventory(instances: [Self.instance("web-1", state)]))
        #expect(p.setups.map(\.id) == ["i-web-1"])
        #expect(p.steps.map(\.line) == ["~ instance web-1: run setup again (\(state.rawValue))"])
    }

    static let app = InProcessTests.app("shop", ["source": "git+file:app", "ref": "v2", "start": "python3 server.py"])
    static let oldApp = InProcessTests.app("shop", ["source": "git+file:app", "ref": "main", "start": "python3 server.py"])

    @Test func aChangedRefIsARollingRedeploy() {
        var web = LayerSpec(name: "web", count: 1)
        web.apps = ["shop"]
        let p = plan(memorySpec(layers: [web], apps: ["shop": Self.app]), Inventory(instances: [Self.instance("web-1")]),
                     recordedApps: ["shop": Self.oldApp])
        #expect(p.redeploys["shop"] == Self.oldApp, "the plan keeps what was deployed, to fall back to")
        #expect(p.steps.map(\.line) == ["~ app shop: ref main → v2 changed: rolling deploy"])
        #expect(!p.membershipChanges, "a redeploy alone reconfigures nobody")
    }

    @Test func anAppNeverDeployedOrUnchangedIsNoStep() {
        let spec = memorySpec(layers: [LayerSpec(name: "web", count: 1)], apps: ["shop": Self.app])
        let inventory = Inventory(instances: [Self.instance("web-1")])
        #expect(plan(spec, inventory).isEmpty)
        #expect(plan(spec, inventory, recordedApps: ["shop": Self.app]).isEmpty)
    }

    @Test func firewallChangesAreOneStepPerLayer() {
        let spec = memorySpec(layers: [LayerSpec(name: "web", count: 0)],
                              firewall: [FirewallRule(layer: "web", port: 443, source: "0.0.0.0/0")])
        let recorded = [FirewallRecord(cluster: "shop", layer: "web", port: 80, protocol: "tcp", source: "0.0.0.0/0")]
        let p = plan(spec, Inventory(), firewall: recorded)
        #expect(p.steps.map(\.line) == ["~ firewall web: +443/tcp from 0.0.0.0/0, -80/tcp from 0.0.0.0/0"])
        #expect(p.accessChanged)
        #expect(!p.membershipChanges)
    }

    @Test func theProvidersOwnFirewallWinsOverTheRecordedOne() {
        let rule = FirewallRule(layer: "web", port: 443, source: "0.0.0.0/0")
        let spec = memorySpec(layers: [LayerSpec(name: "web", count: 0)], firewall: [rule])
        // the Store says nothing was applied, the cloud enforces the rule already: nothing to do
        #expect(plan(spec, Inventory(firewall: [rule])).isEmpty)
        // the Store says it was applied, the cloud lost it: put it back
        let recorded = [FirewallRecord(cluster: "shop", layer: "web", port: 443, protocol: "tcp", source: "0.0.0.0/0")]
        #expect(plan(spec, Inventory(firewall: []), firewall: recorded).steps.map(\.line) == ["~ firewall web: +443/tcp from 0.0.0.0/0"])
    }

    @Test func usersAddedChangedAndRemoved() {
        let spec = memorySpec(layers: [], users: [UserSpec(name: "alice", role: "manage"), UserSpec(name: "bob", role: "show"),
                                                  UserSpec(name: "dan", role: "show", sshKey: "ssh-ed25519 NEW")])
        let recorded = [UserRecord(cluster: "shop", name: "alice", role: "deploy", sshKey: nil, sudo: false),
                        UserRecord(cluster: "shop", name: "carol", role: "show", sshKey: nil, sudo: false),
                        UserRecord(cluster: "shop", name: "dan", role: "show", sshKey: "ssh-ed25519 OLD", sudo: false)]
        let p = plan(spec, Inventory(), users: recorded)
        #expect(p.steps.map(\.line) == ["~ user alice: role deploy → manage", "+ user bob (show)", "~ user dan: key or sudo",
                                        "- user carol"])
        #expect(p.accessChanged)
    }

    @Test func aClusterAsDeclaredHasAnEmptyPlan() {
        let spec = memorySpec(layers: [balancer(), webWithVolume(1)],
                              firewall: [FirewallRule(layer: "web", port: 8000, source: "lb")],
                              users: [UserSpec(name: "alice", role: "manage")])
        let inventory = Inventory(instances: [Self.instance("lb-1"), Self.instance("web-1")],
                                  volumes: [Self.volume("web-1:data", on: "i-web-1")],
                                  addresses: [Address(ip: "203.0.113.1", cluster: "shop", instanceID: "i-lb-1")],
                                  firewall: spec.firewall)
        let p = plan(spec, inventory, users: [UserRecord(cluster: "shop", name: "alice", role: "manage", sshKey: nil, sudo: false)])
        #expect(p.isEmpty, "\(p.steps.map(\.line))")
        #expect(p.summary == "Plan: 0 to add, 0 to change, 0 to destroy.")
        #expect(!p.accessChanged && !p.membershipChanges && p.repairs.isEmpty)
    }

    @Test func aDetachedOrMissingVolumeIsRepaired() {
        let spec = memorySpec(layers: [webWithVolume(2)])
        let inventory = Inventory(instances: [Self.instance("web-1"), Self.instance("web-2")],
                                  volumes: [Self.volume("web-1:data", on: nil)])
        let p = plan(spec, inventory)
        #expect(p.steps.map(\.line) == ["~ volume web-1:data: attach to web-1 at /srv/data", "+ volume web-2:data (2 GB at /srv/data)"])
        #expect(p.repairs.map(\.name) == ["web-1", "web-2"])
        #expect(!p.membershipChanges, "a repair is no membership change")
    }

    @Test func aVolumeAtTheWrongMountIsMovedBack() {
        let p = plan(memorySpec(layers: [webWithVolume(1)]),
                     Inventory(instances: [Self.instance("web-1")], volumes: [Self.volume("web-1:data", on: "i-web-1", mount: "/mnt")]))
        #expect(p.steps.map(\.line) == ["~ volume web-1:data: attach to web-1 at /srv/data"])
    }

    @Test func aBalancerWithoutItsElasticIPGetsOne() {
        let p = plan(memorySpec(layers: [balancer()]),
                     Inventory(instances: [Self.instance("lb-1")], addresses: [Address(ip: "203.0.113.1", cluster: "shop")]))
        #expect(p.steps.map(\.line) == ["+ address for lb-1"])
        #expect(p.repairs.map(\.name) == ["lb-1"])
    }
}
