import Cloud
import Foundation
import LocalCloud
import Store
import Testing

/// The local provider's inventory on the seam, on both engines: its instances and what their
/// agents report, the processes they started, volumes, snapshots and elastic addresses.
@Suite(.serialized) struct LocalInventorySeamTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func instance(_ id: String, _ name: String, layer: String = "web", cluster: String = "shop", at seconds: Double = 0,
                         services: [ServiceSpec] = []) -> (String) -> Instance {
        { ip in Instance(id: id, cluster: cluster, layer: layer, name: name, state: .pending, privateIP: ip, services: services,
                         createdAt: now.addingTimeInterval(seconds)) }
    }

    @Test func anInstanceGetsTheNextAddressOfItsBlockAndReadsBackWhole() throws {
        try BothEngines.run { engine, store in
            let inventory = LocalInventory(store: store)
            let services = [ServiceSpec(name: "app", command: "./app --port 8080", port: 8080, health: "/up", env: ["MODE": "prod", "X": "1"])]
            let web1 = try inventory.insertInstance(Self.instance("i-1", "web-1", services: services), addressBlock: 96)
            let web2 = try inventory.insertInstance(Self.instance("i-2", "web-2", at: 1), addressBlock: 96)
            let db1 = try inventory.insertInstance(Self.instance("i-3", "db-1", layer: "db", at: 2), addressBlock: 96)
            _ = try inventory.insertInstance(Self.instance("i-4", "web-1", cluster: "blog"), addressBlock: 96)
            let ips = [web1, web2, db1].map(\.privateIP)
            #expect(Set(ips).count == 3, "\(engine): \(ips)")
            #expect(ips.allSatisfy { ip in
                let octets = ip.split(separator: ".").compactMap { Int($0) }
                return octets.count == 4 && octets[0] == 127 && (96...111).contains(octets[1]) && (1...254).contains(octets[3])
            }, "\(engine): \(ips)")
            #expect(try inventory.instance("i-1") == web1, "\(engine): every field, services included")
            #expect(try inventory.instances(cluster: "shop").map(\.id) == ["i-3", "i-1", "i-2"], "\(engine): by layer, then age")
            #expect(try inventory.instances().count == 4, "\(engine)")
            #expect(try inventory.instance(cluster: "shop", named: "web-2")?.id == "i-2", "\(engine)")
            #expect(try inventory.instance(cluster: "shop", named: "i-3")?.name == "db-1", "\(engine): by id too")
            #expect(try inventory.instance(cluster: "shop", named: "web-9") == nil, "\(engine)")
            try inventory.setLifecycle("i-1", .setupFailed)
            #expect(try inventory.instance("i-1")?.state == .setupFailed, "\(engine)")
            try inventory.deleteInstance("i-2")
            #expect(try inventory.instance("i-2") == nil, "\(engine)")
        }
    }

    @Test func anAgentsStateAndHeartbeatAreReported() throws {
        try BothEngines.run { engine, store in
            let inventory = LocalInventory(store: store)
            _ = try inventory.insertInstance(Self.instance("i-1", "web-1"), addressBlock: 96)
            _ = try inventory.insertInstance(Self.instance("i-2", "web-2"), addressBlock: 96)
            try inventory.setState("i-1", .running, agentPID: 4242)
            #expect(try inventory.instance("i-1")?.state == .running && inventory.agent("i-1")?.pid == 4242, "\(engine)")
            try inventory.setAgentPIDIfUnset("i-1", 77)
            #expect(try inventory.agent("i-1")?.pid == 4242, "\(engine): set already")
            try inventory.setState("i-1", .stopped)
            #expect(try inventory.agent("i-1")?.pid == nil, "\(engine): no agent any more")
            try inventory.setAgentPIDIfUnset("i-1", 77)
            #expect(try inventory.agent("i-1")?.pid == 77, "\(engine)")

            let me = getpid()
            try inventory.heartbeat("i-2", pid: me, cpuPercent: 12.5, memoryBytes: 5 << 30, memoryPercent: 33, load: 0.25,
                                    at: Self.now.addingTimeInterval(10))
            let agents = try inventory.agents(cluster: "shop")
            #expect(agents.keys.sorted() == ["i-1", "i-2"], "\(engine)")
            #expect(agents["i-2"] == AgentReport(pid: me, lastHeartbeat: Self.now.addingTimeInterval(10), cpuPercent: 12.5, memoryBytes: 5 << 30,
                                                 gone: false), "\(engine): \(String(describing: agents["i-2"]))")
            #expect(try inventory.metrics(instance: "i-2", name: "memory", since: Self.now).map(\.1) == [Double(5 << 30)], "\(engine)")
            #expect(try inventory.metrics(instance: "i-2", name: "load", since: Self.now).map(\.0) == [Self.now.addingTimeInterval(10)], "\(engine)")
            #expect(try inventory.metrics(instance: "i-2", name: "cpu", since: Self.now.addingTimeInterval(11)).isEmpty, "\(engine)")
            try inventory.deleteInstance("i-2")
            #expect(try inventory.metrics(instance: "i-2", name: "cpu", since: .distantPast).isEmpty, "\(engine): its samples go with it")
        }
    }

    @Test func anAgentsProcessesAreKeptOnePerService() throws {
        try BothEngines.run { engine, store in
            let inventory = LocalInventory(store: store)
            try inventory.recordProcess(instance: "i-1", service: "web", pid: 100)
            try inventory.recordProcess(instance: "i-1", service: "web", pid: 200)  // restarted
            try inventory.recordProcess(instance: "i-1", service: "worker", pid: 300)
            try inventory.recordProcess(instance: "i-2", service: "web", pid: 400)
            #expect(try inventory.processes(instance: "i-1").sorted() == [200, 300], "\(engine)")
            try inventory.recordProcess(instance: "i-1", service: "worker", pid: nil)
            #expect(try inventory.processes(instance: "i-1") == [200], "\(engine): a stopped service's goes")
            try inventory.clearProcesses(instance: "i-1")
            #expect(try inventory.processes(instance: "i-1").isEmpty && inventory.processes(instance: "i-2") == [400], "\(engine)")
        }
    }

    @Test func volumesAndSnapshotsAreSavedReplacedAndDeleted() throws {
        try BothEngines.run { engine, store in
            let inventory = LocalInventory(store: store)
            let attached = Volume(id: "vol-1", cluster: "shop", name: "data", sizeGB: 10, instanceID: "i-1", mount: "/data", snapshotID: "snap-0",
                                  createdAt: Self.now)
            try inventory.save(attached)
            try inventory.save(Volume(id: "vol-2", cluster: "shop", name: "", sizeGB: 1, createdAt: Self.now.addingTimeInterval(1)))
            try inventory.save(Volume(id: "vol-3", cluster: "blog", name: "data", sizeGB: 1, createdAt: Self.now))
            #expect(try inventory.volume("vol-1") == attached, "\(engine)")
            let detached = Volume(id: "vol-1", cluster: "shop", name: "data", sizeGB: 20, createdAt: Self.now)
            try inventory.save(detached)
            #expect(try inventory.volume("vol-1") == detached, "\(engine): every column replaced, the nil ones NULL")
            #expect(try inventory.volumes(cluster: "shop").map(\.id) == ["vol-1", "vol-2"] && inventory.volumes().count == 3, "\(engine)")
            try inventory.deleteVolume("vol-1")
            #expect(try inventory.volume("vol-1") == nil && inventory.volumes(cluster: "shop").map(\.id) == ["vol-2"], "\(engine)")

            let snapshot = Snapshot(id: "snap-1", cluster: "shop", volumeID: "vol-2", sizeGB: 1, sha256: "ab12", bytes: 5_000_000_000, createdAt: Self.now)
            try inventory.save(snapshot)
            try inventory.save(Snapshot(id: "snap-2", cluster: "blog", volumeID: "vol-3", sizeGB: 1, sha256: "cd34", bytes: 1, createdAt: Self.now))
            #expect(try inventory.snapshot("snap-1") == snapshot, "\(engine)")
            var again = snapshot
            again.sha256 = "ef56"
            try inventory.save(again)
            #expect(try inventory.snapshots(cluster: "shop") == [again] && inventory.snapshots().count == 2, "\(engine)")
            try inventory.deleteSnapshot("snap-1")
            #expect(try inventory.snapshot("snap-1") == nil, "\(engine)")
        }
    }

    @Test func anElasticAddressMovesWithItsInstanceAndLeavesNoPublicIPBehind() throws {
        try BothEngines.run { engine, store in
            let inventory = LocalInventory(store: store)
            let a = try inventory.insertInstance(Self.instance("i-a", "web-1"), addressBlock: 96)
            let b = try inventory.insertInstance(Self.instance("i-b", "web-2"), addressBlock: 96)
            let address = try inventory.allocateAddress(cluster: "shop", block: 192)
            let other = try inventory.allocateAddress(cluster: "shop", block: 192)
            #expect(address.ip.hasPrefix("127.") && address.ip != other.ip && address.instanceID == nil, "\(engine)")
            let read = try #require(try inventory.address(address.ip))
            #expect(read.cluster == "shop" && read.instanceID == nil && abs(read.createdAt.timeIntervalSince(address.createdAt)) < 0.001, "\(engine)")
            try inventory.associate(address: address.ip, with: a.id)
            #expect(try inventory.instance(a.id)?.publicIP == address.ip && inventory.address(address.ip)?.instanceID == a.id, "\(engine)")
            try inventory.associate(address: address.ip, with: b.id)
            #expect(try inventory.instance(a.id)?.publicIP == nil && inventory.instance(b.id)?.publicIP == address.ip, "\(engine): moved")
            #expect(try inventory.addresses(of: b.id).map(\.ip) == [address.ip] && inventory.addresses(of: a.id).isEmpty, "\(engine)")
            try inventory.associate(address: address.ip, with: nil)
            #expect(try inventory.address(address.ip)?.instanceID == nil && inventory.instance(b.id)?.publicIP == nil, "\(engine): nowhere")
            try inventory.associate(address: other.ip, with: a.id)
            try inventory.deleteAddress(other.ip)
            #expect(try inventory.address(other.ip) == nil && inventory.instance(a.id)?.publicIP == nil, "\(engine): released")
            #expect(try inventory.addresses(cluster: "shop").map(\.ip) == [address.ip], "\(engine)")
        }
    }
}
