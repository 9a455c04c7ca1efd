import Cloud
import Foundation
import LocalCloud
import Testing
@testable import Store

@Suite struct StoreTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString.prefix(8))")

    @Test func eventLogIsAppendOnly() throws {
        let store = try Store(home: home)
        defer { try? FileManager.default.removeItem(at: home) }
        let event = try store.record(Event(actor: "cli:test", cluster: "c", kind: "instance.launched", subject: "i-1"))
        #expect(event.id != nil)
        #expect(throws: (any Error).self) {
            try store.db.write { db in try db.execute(sql: "UPDATE events SET result = 'forged'") }
        }
        #expect(throws: (any Error).self) {
            try store.db.write { db in try db.execute(sql: "DELETE FROM events") }
        }
        #expect(try store.events(cluster: "c").map(\.result) == ["ok"])
    }

    @Test func stateUsesWALAndReopensWithItsData() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        do {
            let store = try Store(home: home)
            try store.saveCluster(ClusterRecord(name: "c", provider: "local", recipePath: nil, recipeHash: nil, spec: "{}"),
                                  layers: [LayerRecord(cluster: "c", name: "web", count: 3, spec: "{}")])
            let mode = try store.db.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
        }
        let reopened = try Store(home: home, light: true)
        #expect(try reopened.cluster("c")?.provider == "local")
        #expect(try reopened.layers(cluster: "c").map(\.count) == [3])
    }

    @Test func addressesAreDistinctLoopbackHostsNeverLocalhost() throws {
        let store = LocalInventory(store: try TestState.store(home))
        defer { try? FileManager.default.removeItem(at: home) }
        var ips: Set<String> = []
        for n in 0..<600 {
            let instance = try store.insertInstance({ ip in
                Instance(id: "i-\(n)", cluster: "c", layer: "web", name: "web-\(n)", state: .pending, privateIP: ip)
            }, addressBlock: 96)
            ips.insert(instance.privateIP)
        }
        #expect(ips.count == 600)
        #expect(ips.allSatisfy { ip in
            let octets = ip.split(separator: ".").compactMap { Int($0) }
            return octets.count == 4 && octets[0] == 127 && (96...111).contains(octets[1]) && (1...254).contains(octets[3])
        })
    }

    @Test func elasticAddressFollowsItsInstance() throws {
        let store = LocalInventory(store: try TestState.store(home))
        defer { try? FileManager.default.removeItem(at: home) }
        let a = try store.insertInstance({ Instance(id: "i-a", cluster: "c", layer: "l", name: "l-1", state: .running, privateIP: $0) },
                                         addressBlock: 96)
        let b = try store.insertInstance({ Instance(id: "i-b", cluster: "c", layer: "l", name: "l-2", state: .running, privateIP: $0) },
                                         addressBlock: 96)
        let address = try store.allocateAddress(cluster: "c", block: 192)
        try store.associate(address: address.ip, with: a.id)
        #expect(try store.instance(a.id)?.publicIP == address.ip)
        try store.associate(address: address.ip, with: b.id)
        #expect(try store.instance(a.id)?.publicIP == nil)
        #expect(try store.instance(b.id)?.publicIP == address.ip)
        #expect(try store.addresses(of: b.id).map(\.ip) == [address.ip])
    }

    @Test func commandsAreClaimedOnce() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        let id = try store.enqueueCommand(instance: "i-1", command: "true", timeout: 5)
        #expect(try store.claimCommands(instance: "i-1").map(\.id) == [id])
        #expect(try store.claimCommands(instance: "i-1").isEmpty)
        try store.completeCommand(id, result: CommandResult(code: 0, stdout: "x", stderr: ""))
        #expect(try store.command(id)?.state == .done)
    }

    @Test func metricsAreDownsampledWithAgeAndDroppedAfterThirtyDays() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        let now = Date(timeIntervalSince1970: 1_800_000_000)  // a whole hour
        func put(_ secondsAgo: Double, _ value: Double) throws {
            try store.putMetric(instance: "i-1", name: "cpu", value: value, at: now.addingTimeInterval(-secondsAgo))
        }
        // fresh samples stay as they are
        try put(10, 1); try put(20, 3)
        // two hours old: one minute's samples become their average
        for (i, v) in [10.0, 20, 30].enumerated() { try put(7200 - 50 + Double(i) * 10, v) }
        // two days old: one hour's samples become their average
        for (i, v) in [100.0, 200].enumerated() { try put(2 * 86400 - 3000 + Double(i) * 600, v) }
        // forty days old: gone
        try put(40 * 86400, 9)
        try store.downsample(now: now)
        let samples = try store.metricSamples(instances: ["i-1"], name: "cpu", since: now.addingTimeInterval(-50 * 86400))
        #expect(samples.map(\.value) == [150, 20, 3, 1], "\(samples)")
        #expect(samples[0].time.timeIntervalSince1970.truncatingRemainder(dividingBy: 3600) == 0)
        #expect(samples[1].time.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0)
        try store.downsample(now: now)
        #expect(try store.metricSamples(instances: ["i-1"], name: "cpu", since: .distantPast).count == 4, "downsampling again changes nothing")
    }

    @Test func aGraphsSeriesAveragesEachSlotPerInstanceAndName() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func put(_ instance: String, _ name: String, _ secondsAgo: Double, _ value: Double) throws {
            try store.putMetric(instance: instance, name: name, value: value, at: now.addingTimeInterval(-secondsAgo))
        }
        // an hour in 60 slots of a minute: slot 0 is the oldest minute, 59 the last
        try put("i-1", "cpu", 3590, 10); try put("i-1", "cpu", 3570, 20)   // slot 0
        try put("i-1", "cpu", 30, 4); try put("i-1", "cpu", 10, 8)         // slot 59
        try put("i-2", "cpu", 30, 100)                                      // another instance, same slot
        try put("i-1", "load", 30, 0.5)                                     // another name
        try put("i-1", "cpu", 4000, 999)                                    // before the window
        try put("i-3", "cpu", 30, 999)                                      // not asked for
        let points = try store.metricSeries(instances: ["i-1", "i-2"], since: now.addingTimeInterval(-3600), slots: 60, now: now)
        let seen = Set(points.map { "\($0.instance) \($0.name) \($0.slot) \($0.value)" })
        #expect(seen == ["i-1 cpu 0 15.0", "i-1 cpu 59 6.0", "i-2 cpu 59 100.0", "i-1 load 59 0.5"], "\(seen)")
        #expect(try store.metricSeries(instances: [], since: now.addingTimeInterval(-3600), slots: 60, now: now).isEmpty)
    }

    @Test func aClusterLockHasOneHolderAndADeadOneLosesIt() throws {
        let store = try TestState.store(home)
        let first = ClusterLock(cluster: "shop", pid: 10, host: "a", started: 1, command: "recipe run shop.lua")
        let second = ClusterLock(cluster: "shop", pid: 11, host: "a", started: 2, command: "recipe deploy shop shop")
        // (dates come back at the database's precision: compare holders by pid and command)
        let taken = try store.acquireLock(first) { _ in false }
        #expect(taken.held == nil && taken.broken == nil)
        let refused = try store.acquireLock(second) { _ in false }
        #expect(refused.held?.pid == 10 && refused.held?.command == "recipe run shop.lua" && refused.broken == nil, "the holder is named")
        let broke = try store.acquireLock(second) { $0.pid == 10 }
        #expect(broke.held == nil && broke.broken?.pid == 10, "a dead holder's lock is broken")
        #expect(try store.locks().map(\.pid) == [11])
        try store.releaseLock(cluster: "shop", pid: 10, host: "a")
        #expect(try store.locks().map(\.pid) == [11], "only the holder lets go")
        try store.releaseLock(cluster: "shop", pid: 11, host: "a")
        #expect(try store.locks().isEmpty)
    }
}

/// A rollout's record: open until the transaction that makes its release current closes it.
@Suite struct DeployRecordTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString.prefix(8))")

    @Test func aRolloutIsUnfinishedUntilItsReleaseIsCurrent() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        let deploy = try store.begin(deploy: DeployRecord(cluster: "c", app: "shop", kind: "deploy", release: "R2", source: "s",
                                                          sha: "abc", ref: "v2", archive: "/a", from: "R1"),
                                     targets: [("i-1", "web-1", "R1"), ("i-2", "web-2", "R1")])
        try store.advance(deploy: deploy.id!, instance: "i-1", to: .drained)
        let (open, targets) = try #require(try store.unfinishedDeploy(cluster: "c", app: "shop"))
        #expect(open.release == "R2" && open.from == "R1" && open.state == .running)
        #expect(targets.map(\.phase) == [.drained, .pending] && targets.map(\.mayBeDrained) == [true, false])
        try store.finish(deploy: deploy.id!, release: ReleaseRecord(cluster: "c", app: "shop", release: "R2", sha: "abc", ref: "v2",
                                                                    archive: "/a", state: .current))
        #expect(try store.unfinishedDeploy(cluster: "c", app: "shop") == nil)
        #expect(try store.currentRelease(cluster: "c", app: "shop")?.release == "R2")
    }

    @Test func aDestroyedClusterLeavesNoRolloutOpen() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        _ = try store.begin(deploy: DeployRecord(cluster: "c", app: "shop", kind: "deploy", release: "R2", source: "s", sha: "abc",
                                                 ref: "v2", archive: "/a", from: nil), targets: [("i-1", "web-1", nil)])
        #expect(try store.unfinishedDeploys(cluster: "c").count == 1)
        try store.deleteCluster("c")
        #expect(try store.unfinishedDeploys(cluster: "c").isEmpty)
    }
}
