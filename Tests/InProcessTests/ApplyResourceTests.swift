import Cloud
import Engine
import Foundation
import MemoryCloud
import Store
import Testing

/// Elastic IPs, volumes, firewall and keys as apply realises them on the memory provider.
@Suite struct ApplyResourceTests {
    @Test func anElasticIPIsAssignedOnceAcrossConverges() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [balancer()])
        _ = try await f.engine.converge(spec)
        _ = try await f.engine.converge(spec)
        let inventory = try await f.memory.describe(cluster: "shop")
        #expect(inventory.addresses.count == 1)
        let lb = try await f.instance("lb-1")
        #expect(inventory.addresses.first?.instanceID == lb.id)
        #expect(lb.publicIP == inventory.addresses.first?.ip)
    }

    @Test func aReplacementTakesOverTheFreedElasticIP() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [balancer()])
        _ = try await f.engine.converge(spec)
        let old = try await f.instance("lb-1")
        f.memory.lose(old.id)
        _ = try await f.engine.converge(spec)
        let new = try await f.instance("lb-1")
        let addresses = try await f.memory.describe(cluster: "shop").addresses
        #expect(new.id != old.id)
        #expect(addresses.count == 1, "no second allocation")
        #expect(new.publicIP == old.publicIP)
    }

    @Test func volumesAreCreatedWithTheirSlotAndReattachedWhenTheSlotComesBack() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        _ = try await f.engine.converge(memorySpec(layers: [webWithVolume(2)]))
        var volumes = try await f.memory.describe(cluster: "shop").volumes
        #expect(volumes.map(\.name).sorted() == ["web-1:data", "web-2:data"])
        #expect(volumes.allSatisfy { $0.mount == "/srv/data" && $0.instanceID != nil && $0.sizeGB == 2 })
        let kept = try #require(volumes.first { $0.name == "web-2:data" })

        _ = try await f.engine.converge(memorySpec(layers: [webWithVolume(1)]))
        volumes = try await f.memory.describe(cluster: "shop").volumes
        #expect(volumes.count == 2, "a leaver's volume is kept")
        #expect(volumes.first { $0.id == kept.id }?.instanceID == nil, "detached")

        let report = try await f.engine.converge(memorySpec(layers: [webWithVolume(2)]))
        #expect(report.plan.steps.map(\.line) == ["+ instance web-2 (reattach volume data 2 GB at /srv/data)"])
        let web2 = try await f.instance("web-2")
        volumes = try await f.memory.describe(cluster: "shop").volumes
        #expect(volumes.count == 2)
        #expect(volumes.first { $0.id == kept.id }?.instanceID == web2.id)
    }

    @Test func firewallAndKeysReachTheProviderAndAreRecorded() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let rules = [FirewallRule(layer: "web", port: 8000, source: "lb"), FirewallRule(layer: "lb", port: 80, source: "0.0.0.0/0")]
        let spec = memorySpec(layers: [LayerSpec(name: "web", count: 1)], firewall: rules,
                              users: [UserSpec(name: "alice", role: "manage", sshKey: "ssh-ed25519 AAAA")])
        _ = try await f.engine.converge(spec)
        #expect(try await f.memory.describe(cluster: "shop").firewall == rules)
        #expect(try f.store.users(cluster: "shop").map(\.name) == ["alice"])
        #expect(try f.events("firewall.changed").compactMap(\.subject).sorted() == ["lb", "web"])
        #expect(try f.events("user.changed").map(\.subject) == ["alice"])
        // the provider now enforces them: nothing more to do
        #expect(try await f.engine.plan(spec).isEmpty)
        var fewer = spec
        fewer.firewall = [rules[0]]
        _ = try await f.engine.converge(fewer)
        #expect(try await f.memory.describe(cluster: "shop").firewall == [rules[0]])
    }

    @Test func aClusterCannotMoveToAnotherProvider() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        _ = try await f.engine.converge(memorySpec(layers: [LayerSpec(name: "web", count: 1)]))
        f.registry.register("other", capabilities: []) { _ in MemoryProvider() }
        var elsewhere = memorySpec(layers: [LayerSpec(name: "web", count: 1)])
        elsewhere.provider = "other"
        let error = await #expect(throws: CloudError.self) { try await f.engine.plan(elsewhere) }
        #expect(error?.message.contains("runs on provider memory, not other") == true, "\(String(describing: error))")
    }
}
