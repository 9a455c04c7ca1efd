import Cloud
import EC2
import Foundation
import Testing
import TestSupport

/// The same recipes do as much on EC2 (a signature-checking moto_server) as locally: backups
/// snapshot and prune, snapshots are listed, alarms read CloudWatch, a stopped instance is
/// replaced, and imperative stops run the shutdown hook first.
@Suite(.serialized) struct CloudParityTests {
    static let image = "ami-12c6146b"

    @Test func backupsUnderServeKeepTwoSnapshotsPerVolumeAndSnapshotListShowsThem() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        let recipe = try h.write("vault.lua", """
            cluster "vault" {
              provider = "ec2",
              layers = { db = { count = 2, image = "\(Self.image)", volumes = { data = { size_gb = 1, mount = "/srv/data" } } } },
              backups = { db = { every = "2s", keep = 2 } },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(run.code == 0, "\(run.stderr)")
        let ec2 = EC2Provider(config: moto.config())
        let volumes = Set(try await ec2.describe(cluster: "vault").volumes.map(\.id))
        #expect(volumes.count == 2)

        let serve = try h.serve(environment: moto.environment)
        sleep(10)
        // a backup in flight has snapshotted and not pruned yet (a few milliseconds, longer on a
        // loaded machine): look again then
        var perVolume: [String: Int] = [:]
        for _ in 0..<60 {
            perVolume = Dictionary(grouping: try await ec2.snapshots(cluster: "vault"), by: \.volumeID).mapValues(\.count)
            if Set(perVolume.keys) == volumes && perVolume.values.allSatisfy({ $0 == 2 }) { break }
            usleep(100_000)
        }
        h.stop(serve)
        #expect(Set(perVolume.keys) == volumes && perVolume.values.allSatisfy { $0 == 2 }, "snapshots per volume: \(perVolume)")

        let snapshots = try await ec2.snapshots(cluster: "vault")
        let list = try h.write("list.lua", """
            local found = snapshot.list{ cluster = "vault" }
            local ids = {}
            for _, s in ipairs(found) do ids[#ids + 1] = s.id .. "@" .. s.volume_id end
            table.sort(ids)
            log.info("snapshots: %d %s", #found, table.concat(ids, ","))
            """)
        let listed = try h.recipe(["run", list], environment: moto.environment)
        let expected = snapshots.map { "\($0.id)@\($0.volumeID)" }.sorted().joined(separator: ",")
        #expect(listed.code == 0 && (listed.stdout + listed.stderr).contains("snapshots: \(snapshots.count) \(expected)"),
                "\(listed.stdout)\(listed.stderr)")
    }

    @Test func anAlarmOnAnEC2LayerFiresFromCloudWatchData() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        let recipe = try h.write("busy.lua", """
            cluster "busy" { provider = "ec2", layers = { app = { count = 2, image = "\(Self.image)" } } }
            when { cluster = "busy", layer = "app", metric = "CPUUtilization", stat = "max", above = 80, sustain = "1s" } (function(alarm)
              emit("cpu.high", { cluster = "busy", subject = "app", detail = "from CloudWatch" })
            end)
            """)
        let run = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(run.code == 0, "\(run.stderr)")
        let ids = try await EC2Provider(config: moto.config()).describe(cluster: "busy").instances.map(\.id)
        #expect(ids.count == 2)
        // what CloudWatch's agent would report: one busy instance, one idle
        try Boto3.run("""
            now = datetime.datetime.now(datetime.timezone.utc)
            for id, value in zip(sys.argv[1:], [95.0, 10.0]):
                for age in range(0, 180, 60):
                    cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "CPUUtilization",
                        "Dimensions": [{"Name": "InstanceId", "Value": id}], "Value": value,
                        "Timestamp": now - datetime.timedelta(seconds=age)}])
            """, ids, on: moto)
        let serve = try h.serve(environment: moto.environment)
        defer { h.stop(serve) }
        let fired = Harness.eventually(timeout: 40) {
            (try? h.recipe(["events", "--kind", "cpu.high"]).stdout.contains("from CloudWatch")) == true
        }
        let events = try h.recipe(["events", "--cluster", "busy"]).stdout
        #expect(fired != nil, "the alarm fired from CloudWatch data; events:\n\(events)")
        #expect(events.contains("alarm.fired"))
    }

    @Test func anInstanceStoppedOutsideIsReplaced() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        let recipe = try h.write("steady.lua", """
            cluster "steady" { provider = "ec2", layers = { web = { count = 2, image = "\(Self.image)", heal = { after = "1s" } } } }
            """)
        #expect(try h.recipe(["run", recipe], environment: moto.environment).code == 0)
        let ec2 = EC2Provider(config: moto.config())
        let victim = try #require(try await ec2.describe(cluster: "steady").instances.first { $0.name == "web-1" })
        let serve = try h.serve(environment: moto.environment)
        defer { h.stop(serve) }
        sleep(2)  // the first poll sees web-1 up
        try Boto3.run("ec2.stop_instances(InstanceIds=[sys.argv[1]])", [victim.id], on: moto)
        var replaced = false
        for _ in 0..<60 where !replaced {
            let now = try await ec2.describe(cluster: "steady").instances
            replaced = now.contains { $0.name == "web-1" && $0.id != victim.id && [.online, .running].contains($0.state) }
                && !now.contains { $0.id == victim.id }
            if !replaced { try await Task.sleep(nanoseconds: 250_000_000) }
        }
        let events = try h.recipe(["events", "--cluster", "steady"]).stdout
        #expect(replaced, "web-1 stopped behind the tool's back is replaced; events:\n\(events)")
        #expect(events.contains("stopped outside recipe"))
    }

    @Test func stoppingAnInstanceFromARecipeRunsItsShutdownHookFirstAndAnyIdIsFound() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        // its layer has a hook: a launch needs a controller for the instances' agents (none boots here)
        let serve = try h.serve(["--listen", "127.0.0.1:0"], environment: moto.environment)
        defer { h.stop(serve) }
        let recipe = try h.write("calm.lua", """
            cluster "calm" {
              provider = "ec2",
              layers = { web = { count = 2, image = "\(Self.image)", on = {
                shutdown = function(e) emit("shutdown.seen", { cluster = "calm", subject = e.instance.name, detail = e.reason }) end,
              } } },
            }
            if arg.stop then instance.get(arg.stop):stop() end
            """)
        #expect(try h.recipe(["run", recipe], environment: moto.environment).code == 0)
        let ec2 = EC2Provider(config: moto.config())
        let web2 = try #require(try await ec2.describe(cluster: "calm").instances.first { $0.name == "web-2" })

        // a recipe that declares nothing finds any instance of a recorded cluster by id
        let get = try h.write("get.lua", "local i = instance.get(arg.id) log.info(\"found %s in %s\", i.name, i.cluster)")
        let found = try h.recipe(["run", get, "id=\(web2.id)"], environment: moto.environment)
        #expect((found.stdout + found.stderr).contains("found web-2 in calm"), "\(found.stdout)\(found.stderr)")

        let stop = try h.recipe(["run", recipe, "stop=\(web2.id)"], environment: moto.environment)
        #expect(stop.code == 0, "\(stop.stderr)")
        let seen = try h.recipe(["events", "--kind", "shutdown.seen"]).stdout
        #expect(seen.contains("web-2"), "the shutdown hook ran for web-2: \(seen)")
        let state = try await ec2.describe(cluster: "calm").instances.first { $0.id == web2.id }?.state
        #expect(state == .stopped || state == .stopping, "web-2 is \(String(describing: state))")
    }
}
