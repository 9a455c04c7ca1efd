import Cloud
import Foundation
import Testing
@testable import Store

/// What runs on a cluster, on the seam, on both engines: the logs `recipe logs` shows, the
/// metrics status and alarms read, releases and rollouts, and the hosts provider's machines.
@Suite(.serialized) struct OperationsSeamTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)  // a whole hour

    static func entry(_ instance: String?, _ kind: LogEntry.Kind, _ text: String, cluster: String = "shop", at seconds: Double = 0) -> LogEntry {
        LogEntry(time: now.addingTimeInterval(seconds), cluster: cluster, instance: instance.map { "name-\($0)" }, instanceID: instance, kind: kind,
                 source: "echo", text: text, exitCode: kind == .command ? 3 : nil, result: kind == .command ? "failed: exit 3" : "ok")
    }

    // MARK: logs

    @Test func logsAreQueriedByInstanceKindTimeCursorAndNewest() throws {
        try BothEngines.run { engine, store in
            let kept = try store.appendLogs([
                Self.entry("i-1", .command, "one", at: 1), Self.entry("i-1", .hook, "two", at: 2), Self.entry("i-2", .deploy, "three", at: 3),
                Self.entry(nil, .hook, "timer", at: 4), Self.entry("i-1", .command, "elsewhere", cluster: "other", at: 5),
            ])
            #expect(kept.map(\.id) == [1, 2, 3, 4, 5].map(Int64.init), "\(engine): ids in the entries' order")
            let first = try #require(try store.logs(cluster: "shop").first)
            #expect(first == kept[0], "\(engine): every field read back (\(first))")
            #expect(try store.logs(cluster: "shop").map(\.text) == ["one", "two", "three", "timer"], "\(engine)")
            #expect(try store.logs(cluster: "shop", instance: "i-1").map(\.text) == ["one", "two"], "\(engine): by id")
            #expect(try store.logs(cluster: "shop", instance: "name-i-2").map(\.text) == ["three"], "\(engine): by name")
            #expect(try store.logs(cluster: "shop", kinds: [.hook, .deploy]).map(\.text) == ["two", "three", "timer"], "\(engine)")
            #expect(try store.logs(cluster: "shop", since: Self.now.addingTimeInterval(3)).map(\.text) == ["three", "timer"], "\(engine)")
            #expect(try store.logs(cluster: "shop", after: 2).map(\.text) == ["three", "timer"], "\(engine)")
            #expect(try store.logs(cluster: "shop", newest: 2).map(\.text) == ["three", "timer"], "\(engine): the newest, oldest first")
            #expect(try store.logs(cluster: "shop", instance: "i-1", kinds: [.command], newest: 5).map(\.text) == ["one"], "\(engine)")
            #expect(try store.logInstances(cluster: "shop").map { "\($0.name) \($0.id)" } == ["name-i-1 i-1", "name-i-2 i-2"], "\(engine)")
            #expect(try store.lastLogID() == 5, "\(engine)")
        }
    }

    @Test func theNewest50OfEachKindPerInstanceAndTheClustersBoundAreKept() throws {
        try BothEngines.run { engine, store in
            for n in 1...55 { try store.appendLogs([Self.entry("i-1", .command, "run \(n)")]) }
            try store.appendLogs([Self.entry("i-1", .hook, "hook 1")])
            try store.appendLogs((1...53).map { Self.entry(nil, .hook, "timer \($0)") })
            let commands = try store.logs(cluster: "shop", instance: "i-1", kinds: [.command])
            #expect(commands.count == 50 && commands.first?.text == "run 6" && commands.last?.text == "run 55", "\(engine)")
            #expect(try store.logs(cluster: "shop", instance: "i-1", kinds: [.hook]).map(\.text) == ["hook 1"], "\(engine): another kind untouched")
            let timers = try store.logs(cluster: "shop", kinds: [.hook]).filter { $0.instanceID == nil }
            #expect(timers.count == 50 && timers.first?.text == "timer 4", "\(engine): a cluster's own hook runs too")

            // past a cluster's bound (50 here, 10,000 for real) over several instances: the oldest go
            for n in 1...5 { _ = try store.appendLogs((1...20).map { Self.entry("b-\(n)", .command, "\(n)-\($0)", cluster: "busy") }, clusterBound: 50) }
            let busy = try store.logs(cluster: "busy")
            #expect(busy.count == 50 && busy.first?.text == "3-11" && busy.last?.text == "5-20", "\(engine): \(busy.first?.text ?? "none")")
            try store.deleteCluster("busy")
            #expect(try store.logs(cluster: "busy").isEmpty && store.logs(cluster: "shop").count == 101, "\(engine)")
        }
    }

    /// Binary output (`find -print0`, a `cat` of a binary) holds NUL bytes, which PostgreSQL's
    /// text refuses: the write still goes through, and reads back as SQLite keeps it (up to the NUL).
    @Test func outputWithANulByteIsWrittenAndReadTheSameOnBothEngines() throws {
        try BothEngines.run { engine, store in
            try store.appendLogs([LogEntry(cluster: "shop", instance: "web-1", instanceID: "i-1", kind: .command, source: "find . -print0",
                                           text: "./a\u{0}./b\u{0}", exitCode: 0, result: "ok")])
            #expect(try store.logs(cluster: "shop").map(\.text) == ["./a"], "\(engine)")
            let id = try store.enqueueCommand(instance: "i-1", command: "cat /bin/true", timeout: 5)
            try store.completeCommand(id, result: CommandResult(code: 0, stdout: "\u{7f}ELF\u{2}\u{1}\u{0}\u{0}", stderr: ""))
            #expect(try store.command(id)?.stdout == "\u{7f}ELF\u{2}\u{1}", "\(engine)")
            try store.record(Event(actor: "owner", cluster: "shop", kind: "command.run", subject: "i-1", detail: "printf 'x\u{0}y'"))
            #expect(try store.events(cluster: "shop").last?.detail == "printf 'x", "\(engine)")
        }
    }

    // MARK: metrics

    @Test func metricsAreReadBackAndAGraphsSlotsAveraged() throws {
        try BothEngines.run { engine, store in
            func put(_ instance: String, _ name: String, _ secondsAgo: Double, _ value: Double) throws {
                try store.putMetric(instance: instance, name: name, value: value, at: Self.now.addingTimeInterval(-secondsAgo))
            }
            try put("i-1", "cpu", 3590, 10); try put("i-1", "cpu", 3570, 20)   // slot 0
            try put("i-1", "cpu", 30, 4); try put("i-1", "cpu", 10, 8)         // slot 59
            try put("i-2", "cpu", 30, 100)
            try put("i-1", "load", 30, 0.5)
            try put("i-1", "cpu", 4000, 999)                                    // before the window
            try put("i-3", "cpu", 30, 999)                                      // not asked for
            #expect(try store.metricValues(instances: ["i-1", "i-2"], name: "cpu", since: Self.now.addingTimeInterval(-60)).sorted() == [4, 8, 100],
                    "\(engine)")
            #expect(try store.metricValues(instances: [], name: "cpu", since: .distantPast).isEmpty, "\(engine)")
            let samples = try store.metricSamples(instances: ["i-1"], name: "cpu", since: Self.now.addingTimeInterval(-3600))
            #expect(samples.map(\.value) == [10, 20, 4, 8] && samples.first?.time == Self.now.addingTimeInterval(-3590), "\(engine): oldest first")
            let points = try store.metricSeries(instances: ["i-1", "i-2"], since: Self.now.addingTimeInterval(-3600), slots: 60, now: Self.now)
            let seen = Set(points.map { "\($0.instance) \($0.name) \($0.slot) \($0.value)" })
            #expect(seen == ["i-1 cpu 0 15.0", "i-1 cpu 59 6.0", "i-2 cpu 59 100.0", "i-1 load 59 0.5"], "\(engine): \(seen)")
        }
    }

    @Test func downsamplingKeepsAveragesOnBucketBoundariesAndDropsTheOldest() throws {
        try BothEngines.run { engine, store in
            func put(_ secondsAgo: Double, _ value: Double) throws {
                try store.putMetric(instance: "i-1", name: "cpu", value: value, at: Self.now.addingTimeInterval(-secondsAgo))
            }
            try put(10, 1); try put(20, 3)                                                   // fresh: as they are
            for (i, v) in [10.0, 20, 30].enumerated() { try put(7200 - 50 + Double(i) * 10, v) }   // 2 h old: one minute's average
            for (i, v) in [100.0, 200].enumerated() { try put(2 * 86400 - 3000 + Double(i) * 600, v) }  // 2 days old: one hour's
            try put(40 * 86400, 9)                                                           // 40 days old: gone
            try store.downsample(now: Self.now)
            let samples = try store.metricSamples(instances: ["i-1"], name: "cpu", since: .distantPast)
            #expect(samples.map(\.value) == [150, 20, 3, 1], "\(engine): \(samples)")
            #expect(samples.count == 4 && samples[0].time.timeIntervalSince1970.truncatingRemainder(dividingBy: 3600) == 0, "\(engine)")
            #expect(samples.count == 4 && samples[1].time.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0, "\(engine)")
            try store.downsample(now: Self.now)
            #expect(try store.metricSamples(instances: ["i-1"], name: "cpu", since: .distantPast).map(\.value) == [150, 20, 3, 1],
                    "\(engine): downsampling again changes nothing")
        }
    }

    // MARK: releases and rollouts

    static func release(_ name: String, app: String = "shop", _ state: ReleaseRecord.State = .current) -> ReleaseRecord {
        ReleaseRecord(cluster: "c", app: app, release: name, sha: "sha-\(name)", ref: "v-\(name)", archive: "/archives/\(name).tar", state: state)
    }

    @Test func aCurrentReleaseSupersedesTheLastAndAnUndeployedAppIsKnown() throws {
        try BothEngines.run { engine, store in
            try store.record(release: Self.release("R1"))
            try store.record(release: Self.release("R2"))
            try store.record(release: Self.release("B1", app: "blog"))
            try store.record(release: Self.release("R3", .failed))
            func states() throws -> [String] { try store.releases(cluster: "c", app: "shop").map { "\($0.release) \($0.state.rawValue)" } }
            #expect(try states() == ["R3 failed", "R2 current", "R1 superseded"], "\(engine): newest first")
            let r2 = try #require(try store.currentRelease(cluster: "c", app: "shop"))
            #expect(r2.release == "R2" && r2.sha == "sha-R2" && r2.ref == "v-R2" && r2.archive == "/archives/R2.tar", "\(engine)")
            let r1 = try #require(try store.releases(cluster: "c", app: "shop").last?.id)
            try store.makeCurrent(r1, cluster: "c", app: "shop")
            #expect(try states() == ["R3 failed", "R2 superseded", "R1 current"], "\(engine): rolled back")
            try store.retireReleases(cluster: "c", app: "shop")
            #expect(try store.currentRelease(cluster: "c", app: "shop") == nil && states().last == "R1 undeployed", "\(engine)")
            #expect(try store.undeployedApps(cluster: "c") == ["shop"], "\(engine): blog is still deployed")
            #expect(try store.releaseArchive(cluster: "c", name: "R2.tar")?.path == "/archives/R2.tar", "\(engine)")
            #expect(try store.releaseArchive(cluster: "other", name: "R2.tar") == nil, "\(engine): another cluster's archive is not given")
            try store.record(release: Self.release("R4"))
            #expect(try states() == ["R4 current", "R3 failed", "R2 superseded", "R1 superseded"], "\(engine)")
            #expect(try store.undeployedApps(cluster: "c").isEmpty, "\(engine): deployed again")
            #expect(try store.releases(cluster: "c", app: "blog").map(\.state) == [.current], "\(engine)")
        }
    }

    static func deploy(_ release: String, app: String = "shop", from: String?) -> DeployRecord {
        DeployRecord(cluster: "c", app: app, kind: "deploy", release: release, source: "git@x:shop", sha: "sha-\(release)", ref: "main",
                     archive: "/archives/\(release).tar", from: from)
    }

    @Test func aRolloutIsOpenWithItsTargetsUntilItEnds() throws {
        try BothEngines.run { engine, store in
            let deploy = try store.begin(deploy: Self.deploy("R2", from: "R1"), targets: [("i-2", "web-2", "R1"), ("i-1", "web-1", nil)])
            let id = try #require(deploy.id)
            try store.advance(deploy: id, instance: "i-1", to: .drained)
            try store.add(target: DeployTarget(deploy: id, instance: "i-3", name: "web-3", previous: nil, phase: .switched))
            try store.add(target: DeployTarget(deploy: id, instance: "i-3", name: "web-3", previous: "R0"))  // found again: kept as it was
            let (open, targets) = try #require(try store.unfinishedDeploy(cluster: "c", app: "shop"))
            #expect(open.id == id && open.release == "R2" && open.from == "R1" && open.state == .running && open.kind == "deploy", "\(engine)")
            #expect(open.archive == "/archives/R2.tar" && abs(open.startedAt.timeIntervalSince(deploy.startedAt)) < 0.01, "\(engine)")
            #expect(targets.map { "\($0.name) \($0.previous ?? "-") \($0.phase.rawValue)" } == ["web-1 - drained", "web-2 R1 pending", "web-3 - switched"],
                    "\(engine)")
            #expect(try store.targets(of: id) == targets, "\(engine)")
            try store.end(deploy: id, as: .failed, keeping: Self.release("R2"))
            #expect(try store.unfinishedDeploy(cluster: "c", app: "shop") == nil, "\(engine): closed")
            #expect(try store.releases(cluster: "c", app: "shop").map(\.state) == [.failed], "\(engine): its release kept as failed")

            let again = try #require(try store.begin(deploy: Self.deploy("R3", from: nil), targets: [("i-1", "web-1", nil)]).id)
            #expect(try again != id && store.unfinishedDeploy(cluster: "c", app: "shop")?.0.from == nil, "\(engine): a first release comes from nothing")
            try store.finish(deploy: again, release: Self.release("R3", .failed))
            #expect(try store.unfinishedDeploy(cluster: "c", app: "shop") == nil && store.currentRelease(cluster: "c", app: "shop")?.release == "R3",
                    "\(engine): finished, its release current")
        }
    }

    @Test func aRollbackMakesItsReleaseCurrentAndARolledBackDeployKeepsItsReleaseAsInterrupted() throws {
        try BothEngines.run { engine, store in
            try store.record(release: Self.release("R1"))
            let deploy = try #require(try store.begin(deploy: Self.deploy("R2", from: "R1"), targets: [("i-1", "web-1", "R1")]).id)
            #expect(try store.releaseArchive(cluster: "c", name: "R2.tar")?.path == "/archives/R2.tar", "\(engine): a release being deployed is fetched")
            try store.end(deploy: deploy, as: .rolledBack, keeping: Self.release("R2"))
            let r1 = try #require(try store.releases(cluster: "c", app: "shop").last?.id)
            var rollback = Self.deploy("R1", from: "R2")
            rollback.kind = "rollback"
            let back = try #require(try store.begin(deploy: rollback, targets: [("i-1", "web-1", "R2")]).id)
            try store.finish(rollback: back, current: r1, cluster: "c", app: "shop")
            #expect(try store.releases(cluster: "c", app: "shop").map { "\($0.release) \($0.state.rawValue)" } == ["R2 interrupted", "R1 current"],
                    "\(engine)")
            #expect(try store.unfinishedDeploys(cluster: "c").isEmpty, "\(engine)")
        }
    }

    @Test func unfinishedRolloutsAreListedByAppAndAbandoned() throws {
        try BothEngines.run { engine, store in
            _ = try store.begin(deploy: Self.deploy("R1", from: nil), targets: [("i-1", "web-1", nil)])
            _ = try store.begin(deploy: Self.deploy("B1", app: "blog", from: nil), targets: [("i-1", "web-1", nil)])
            _ = try store.begin(deploy: Self.deploy("A1", app: "api", from: nil), targets: [])
            let done = try #require(try store.begin(deploy: Self.deploy("Z1", app: "zeta", from: nil), targets: []).id)
            try store.end(deploy: done, as: .finished)
            #expect(try store.unfinishedDeploys(cluster: "c").map { $0.0.app } == ["api", "blog", "shop"], "\(engine)")
            try store.abandonDeploys(cluster: "c", app: "blog")
            #expect(try store.unfinishedDeploys(cluster: "c").map { $0.0.app } == ["api", "shop"], "\(engine): one app's")
            try store.abandonDeploys(cluster: "c")
            #expect(try store.unfinishedDeploys(cluster: "c").isEmpty, "\(engine): the cluster's")
        }
    }

    // MARK: hosts

    @Test func aHostIsReservedClaimedOnceReleasedAndForgotten() throws {
        try BothEngines.run { engine, store in
            let registered = HostAddress(user: "root", host: "10.0.0.9")
            let pool = [HostAddress(user: "root", host: "10.0.0.1"), HostAddress(user: "root", host: "10.0.0.2", port: 2222)]
            try store.reserveHost(registered, cluster: "shop", layer: "web", identity: "/keys/web")
            #expect(throws: CloudError.self, "\(engine): registered once") {
                try store.reserveHost(registered, cluster: "blog", layer: "db", identity: nil)
            }
            func claim(_ id: String, from pool: [HostAddress]) throws -> HostMachine? {
                try store.claimHost(pool: pool, identity: nil, cluster: "shop", layer: "web", instanceID: id, name: "web-\(id)")
            }
            let first = try #require(try claim("i-1", from: pool))
            #expect(first.address == registered.description && first.registered && first.identity == "/keys/web", "\(engine): the registered host first")
            #expect(try store.hostMachine(instance: "i-1") == first, "\(engine): as kept")
            #expect(try claim("i-2", from: pool)?.address == pool[0].description, "\(engine): then the pool's first free")
            #expect(try claim("i-3", from: pool)?.address == pool[1].description, "\(engine)")
            #expect(try claim("i-4", from: pool) == nil, "\(engine): none free")
            try store.setHostState(["i-1", "i-2"], .running)
            #expect(try store.hostMachines(cluster: "shop").map { "\($0.instanceID ?? "-") \($0.state)" } == ["i-1 running", "i-2 running", "i-3 pending"],
                    "\(engine)")

            try store.releaseHost(instance: "i-2")
            try store.releaseHost(instance: "i-1")
            let machines = try store.hostMachines(cluster: "shop")
            #expect(machines.map(\.address) == [registered.description, pool[1].description], "\(engine): a pool host goes back to the pool")
            #expect(machines.first.map { $0.instanceID == nil && $0.name == nil && $0.state == "free" } == true, "\(engine): a registered one stays set aside")
            #expect(try claim("i-5", from: [])?.address == registered.description, "\(engine): and is taken again")
            #expect(try claim("i-6", from: pool)?.address == pool[0].description, "\(engine)")
            try store.forgetHost(pool[0])
            #expect(try store.hostMachine(instance: "i-6") == nil, "\(engine)")
            try store.forgetHosts(cluster: "shop")
            #expect(try store.hostMachines(cluster: "shop").isEmpty, "\(engine)")
        }
    }

    @Test func aHostVolumeSavedDetachedLosesItsInstance() throws {
        try BothEngines.run { engine, store in
            let attached = HostVolume(id: "hv-1", cluster: "shop", name: "data", sizeGB: 10, address: "ssh://root@10.0.0.1:22/", instanceID: "i-1",
                                      mount: "/data", createdAt: Self.now)
            try store.saveHostVolume(attached)
            try store.saveHostVolume(HostVolume(id: "hv-2", cluster: "shop", name: "logs", sizeGB: 1, createdAt: Self.now.addingTimeInterval(1)))
            try store.saveHostVolume(HostVolume(id: "hv-3", cluster: "blog", name: "data", sizeGB: 1, createdAt: Self.now))
            #expect(try store.hostVolume("hv-1") == attached, "\(engine)")
            var detached = attached
            (detached.instanceID, detached.mount, detached.sizeGB) = (nil, nil, 20)
            try store.saveHostVolume(detached)
            #expect(try store.hostVolume("hv-1") == detached, "\(engine): the instance and mount cleared, the folder's host kept")
            #expect(try store.hostVolumes(cluster: "shop").map(\.id) == ["hv-1", "hv-2"], "\(engine)")
            try store.deleteHostVolume("hv-1")
            #expect(try store.hostVolume("hv-1") == nil && store.hostVolumes(cluster: "shop").map(\.id) == ["hv-2"], "\(engine)")
        }
    }
}
