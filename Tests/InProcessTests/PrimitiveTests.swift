import Cloud
import Engine
import Foundation
import Store
import Testing

/// The imperative primitives through Engine, each reaching the memory provider.
@Suite struct PrimitiveTests {
    /// A converged cluster: web-1 and web-2 with a data volume.
    func world() async throws -> Fixture {
        let f = try Fixture()
        _ = try await f.engine.converge(memorySpec(layers: [webWithVolume(2)]))
        return f
    }

    @Test func anyInstanceOfTheClusterIsFoundByIdEvenByAnEngineThatNeverSawIt() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let web2 = try await f.instance("web-2")
        let found = try await f.freshEngine().instance(web2.id)
        #expect(found == web2)
        #expect(try await f.freshEngine().instance("web-1", cluster: "shop").name == "web-1", "by name within a cluster")
    }

    @Test func anUnknownInstanceIsAnErrorThatSaysSo() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let error = await #expect(throws: CloudError.self) { try await f.engine.instance("i-nope") }
        #expect(error?.message == "instance i-nope does not exist")
    }

    @Test func stopRunsTheShutdownHookBeforeTheMachineStops() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let web1 = try await f.instance("web-1")
        let stateAtShutdown = Locked<Instance.State?>(nil)
        let hooks = ProbeHooks { kind, event in
            guard kind == .shutdown else { return }
            let state = try? await f.memory.describe(cluster: "shop").instances.first { $0.id == event.instance.id }?.state
            stateAtShutdown.withLock { $0 = state }
        }
        try await f.freshEngine().stop(instance: web1.id, hooks: hooks)
        #expect(stateAtShutdown.value == .online, "shutdown ran while the instance was still up")
        #expect(try await f.instance("web-1").state == .stopped)
        try await f.engine.start(instance: web1.id)
        #expect(try await f.instance("web-1").state == .running)
    }

    @Test func terminateRemovesTheInstanceAndKeepsItsVolume() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let web1 = try await f.instance("web-1")
        try await f.engine.terminate(instance: web1.id)
        let inventory = try await f.memory.describe(cluster: "shop")
        #expect(!inventory.instances.contains { $0.id == web1.id })
        #expect(inventory.volumes.first { $0.name == "web-1:data" }?.instanceID == nil)
    }

    @Test func launchTakesTheLayersNextFreeSlotAndRefusesATakenName() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let launched = try await f.engine.launch(cluster: "shop", layer: "web", name: nil, services: [])
        #expect(launched.name == "web-3")
        await #expect(throws: CloudError.self) {
            try await f.engine.launch(cluster: "shop", layer: "web", name: "web-1", services: [])
        }
    }

    @Test func snapshotsAreTakenListedAndDeleted() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let volume = try #require(try await f.memory.describe(cluster: "shop").volumes.first)
        let first = try await f.engine.snapshot(volume: volume.id)
        f.advance(60)
        let second = try await f.freshEngine().snapshot(volume: volume.id)
        #expect(first.cluster == "shop" && first.volumeID == volume.id && first.sizeGB == 2)
        #expect(try await f.engine.listSnapshots(cluster: "shop").map(\.id) == [first.id, second.id], "oldest first")
        try await f.freshEngine().deleteSnapshot(first.id)
        #expect(try await f.engine.listSnapshots(cluster: nil).map(\.id) == [second.id])
        await #expect(throws: CloudError.self) { try await f.engine.deleteSnapshot(first.id) }
    }

    @Test func aVolumeIsDetachedAndDeletedByIdAlone() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let volume = try #require(try await f.memory.describe(cluster: "shop").volumes.first)
        try await f.freshEngine().detach(volume: volume.id)
        #expect(try await f.memory.describe(cluster: "shop").volumes.first { $0.id == volume.id }?.instanceID == nil)
        try await f.freshEngine().deleteVolume(volume.id)
        #expect(try await f.engine.listVolumes(cluster: "shop").contains { $0.id == volume.id } == false)
        let error = await #expect(throws: CloudError.self) { try await f.engine.deleteVolume(volume.id) }
        #expect(error?.message == "volume \(volume.id) does not exist")
    }

    @Test func restoringASnapshotMakesAVolumeOfItsSize() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let volume = try #require(try await f.memory.describe(cluster: "shop").volumes.first)
        let snapshot = try await f.engine.snapshot(volume: volume.id)
        let restored = try await f.freshEngine().restore(snapshot: snapshot.id, cluster: nil, name: nil)
        #expect(restored.cluster == "shop" && restored.sizeGB == 2 && restored.snapshotID == snapshot.id)
        #expect(restored.name == "restored-\(snapshot.id)" && restored.instanceID == nil)
        let web1 = try await f.instance("web-1")
        try await f.engine.attach(volume: restored.id, to: web1.id, at: "/srv/restored")
        #expect(try await f.memory.describe(cluster: "shop").volumes.first { $0.id == restored.id }?.mount == "/srv/restored")
    }

    @Test func metricValuesReadTheProvidersSamplesOfOnlineInstancesInTheWindow() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let web1 = try await f.instance("web-1"), web2 = try await f.instance("web-2")
        f.memory.put(metric: "cpu", instance: web1.id, value: 10, at: f.now.addingTimeInterval(-600))
        f.memory.put(metric: "cpu", instance: web1.id, value: 40)
        f.memory.put(metric: "cpu", instance: web2.id, value: 60)
        f.memory.put(metric: "mem", instance: web2.id, value: 99)
        let values = try await f.engine.metricValues(cluster: "shop", layer: "web", name: "cpu", since: f.now.addingTimeInterval(-60))
        #expect(values.sorted() == [40, 60])
        try await f.engine.stop(instance: web2.id)
        let afterStop = try await f.engine.metricValues(cluster: "shop", layer: "web", name: "cpu", since: f.now.addingTimeInterval(-60))
        #expect(afterStop == [40], "a stopped instance's samples do not count")
    }

    @Test func runReachesTheInstanceAndRecordsTheCommandAndItsExitCode() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let web1 = try await f.instance("web-1")
        f.memory.respond { _, command in CommandResult(code: command == "false" ? 1 : 0, stdout: "out of \(command)", stderr: "") }
        let result = try await f.engine.run(on: web1.id, command: "uptime")
        #expect(result.stdout == "out of uptime")
        _ = try await f.engine.run(on: web1.id, command: "false")
        #expect(f.memory.commands.map(\.command) == ["uptime", "false"])
        #expect(f.memory.commands.allSatisfy { $0.instance == web1.id })
        #expect(try f.events("command.run").map(\.result) == ["ok", "failed: exit 1"])
    }

    @Test func movingAnElasticIPConfiguresEveryOnlineInstance() async throws {
        let f = try await world()
        defer { f.cleanup() }
        let address = try await f.engine.allocateAddress(cluster: "shop")
        let web2 = try await f.instance("web-2")
        let hooks = RecordingHooks()
        try await f.freshEngine().associate(address: address.ip, with: web2.id, hooks: hooks)
        #expect(try await f.instance("web-2").publicIP == address.ip)
        #expect(hooks.list.sorted() == ["configure web-1", "configure web-2"])
        #expect(hooks.reasons.value["configure web-1"] == "address moved")
    }
}

/// Hooks that call `probe` and succeed.
struct ProbeHooks: LifecycleHooks {
    let probe: @Sendable (HookKind, HookEvent) async -> Void
    func declares(_ kind: HookKind, layer: String) -> Bool { true }
    func run(_ kind: HookKind, _ event: HookEvent, timeLimit: Double) async throws { await probe(kind, event) }
}
