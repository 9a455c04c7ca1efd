import Cloud
import Engine
import Foundation
import Store
import Testing

/// Injected provider faults leave a state the next converge completes, without leaking resources.
@Suite struct ApplyFaultTests {
    @Test func aFailedLaunchLaunchesNothingAndTheNextConvergeDoes() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [LayerSpec(name: "web", count: 2)])
        f.memory.fail("launch", message: "capacity")
        await #expect(throws: CloudError.self) { try await f.engine.converge(spec) }
        #expect(try await f.instances().isEmpty)
        let report = try await f.engine.converge(spec)
        #expect(report.online == ["web-1", "web-2"])
    }

    @Test func aFailedAssociationIsFinishedNextTimeWithTheSameAddress() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [balancer()])
        f.memory.fail("associate")
        let hooks = RecordingHooks()
        await #expect(throws: CloudError.self) { try await f.engine.converge(spec, hooks: hooks) }
        #expect(try await f.instance("lb-1").state == .running, "launched, not online")
        #expect(hooks.index("setup lb-1") == nil, "not set up without its address")
        let report = try await f.engine.converge(spec, hooks: hooks)
        #expect(report.online == ["lb-1"])
        let inventory = try await f.memory.describe(cluster: "shop")
        #expect(inventory.addresses.count == 1, "the address allocated before the fault is reused, not leaked")
        #expect(inventory.instances.first?.publicIP == inventory.addresses.first?.ip)
    }

    @Test func aFailedAttachIsRepairedByTheNextConverge() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [webWithVolume(1)])
        _ = try await f.engine.converge(spec)
        let volume = try #require(try await f.memory.describe(cluster: "shop").volumes.first)
        try await f.memory.detach(volume: volume.id)
        f.memory.fail("attach")
        await #expect(throws: CloudError.self) { try await f.engine.converge(spec) }
        let hooks = RecordingHooks()
        let report = try await f.engine.converge(spec, hooks: hooks)
        #expect(report.plan.steps.map(\.line) == ["~ volume web-1:data: attach to web-1 at /srv/data"])
        let web1 = try await f.instance("web-1")
        #expect(try await f.memory.describe(cluster: "shop").volumes.map(\.instanceID) == [web1.id])
        #expect(hooks.list.isEmpty, "a repair runs no setup: \(hooks.list)")
    }

    @Test func aLostInstanceIsReplacedInItsSlotWithItsVolume() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [webWithVolume(2)])
        _ = try await f.engine.converge(spec)
        let old = try await f.instance("web-2")
        let volume = try #require(try await f.memory.describe(cluster: "shop").volumes.first { $0.name == "web-2:data" })
        f.memory.lose(old.id)
        let report = try await f.engine.converge(spec)
        #expect(report.plan.steps.map(\.line) == ["+ instance web-2 (replaces lost \(old.id))"])
        let new = try await f.instance("web-2")
        #expect(new.id != old.id && new.state == .online)
        let volumes = try await f.memory.describe(cluster: "shop").volumes
        #expect(volumes.count == 2, "no new disk")
        #expect(volumes.first { $0.id == volume.id }?.instanceID == new.id)
    }

    @Test func anInstanceStoppedBehindTheBackIsStartedAndSetUpAgain() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [LayerSpec(name: "web", count: 1)])
        _ = try await f.engine.converge(spec)
        let web1 = try await f.instance("web-1")
        f.memory.setStateBehindTheBack(web1.id, .stopped)
        let hooks = RecordingHooks()
        _ = try await f.engine.converge(spec, hooks: hooks)
        let after = try await f.instance("web-1")
        #expect(after.id == web1.id && after.state == .online)
        #expect(hooks.index("setup web-1") != nil)
    }
}
