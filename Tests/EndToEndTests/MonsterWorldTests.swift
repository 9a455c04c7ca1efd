import Cloud
import EC2
import Foundation
import Testing
import TestSupport

/// Examples/monster-world on a real moto_server with signature checking on.
@Suite(.serialized) struct MonsterWorldTests {
    static let recipe = "Examples/monster-world/cluster.lua"

    /// `ec2: N API calls (M changing, R retried): Action n, ...` from the CLI's stderr.
    static func calls(_ output: Harness.Output) -> (total: Int, changing: Int, byAction: [String: Int]) {
        guard let line = output.stderr.split(separator: "\n").last(where: { $0.hasPrefix("ec2: ") }) else { return (-1, -1, [:]) }
        let numbers = line.dropFirst("ec2: ".count).split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        var byAction: [String: Int] = [:]
        for part in line.split(separator: ":").last!.split(separator: ",") {
            let words = part.split(separator: " ")
            if words.count == 2, let n = Int(words[1]) { byAction[String(words[0])] = n }
        }
        return (numbers.first ?? -1, numbers.count > 1 ? numbers[1] : -1, byAction)
    }

    @Test func buildsTheSeedTopologyInFewCallsPlansNothingAfterAndDestroysOnlyItsOwn() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        let ec2 = EC2Provider(config: moto.config())
        // something that is not the cluster's, which destroy must leave alone
        _ = try await ec2.launch([InstanceSpec(cluster: "bystander", layer: "x", name: "x-1", image: "ami-12c6146b")])

        let run = try h.recipe(["run", Self.recipe], environment: moto.environment)
        #expect(run.code == 0, "\(run.stderr)")
        #expect((1...40).contains(Self.calls(run).total), "\(run.stderr)")

        let inventory = try await ec2.describe(cluster: "monster-world")
        #expect(inventory.instances.count == 137)
        #expect(Set(inventory.instances.map(\.name)).count == 137)
        let counts = Dictionary(grouping: inventory.instances, by: \.layer).mapValues(\.count)
        #expect(counts == ["lb": 1, "app": 130, "db": 2, "slave": 4])
        #expect(inventory.volumes.count == 8)
        for volume in inventory.volumes {
            let owner = inventory.instances.first { $0.id == volume.instanceID }
            #expect(owner != nil && volume.name.hasPrefix(owner!.name + ":") && volume.sizeGB == 100, "\(volume)")
        }
        #expect(inventory.volumes.filter { $0.name.hasPrefix("db-1:") }.count == 2)
        let lb = try #require(inventory.instances.first { $0.name == "lb-1" })
        #expect(inventory.addresses.count == 1 && inventory.addresses[0].instanceID == lb.id)
        #expect(Set(inventory.firewall ?? []) == [
            FirewallRule(layer: "lb", port: 80, source: "0.0.0.0/0"), FirewallRule(layer: "lb", port: 443, source: "0.0.0.0/0"),
            FirewallRule(layer: "app", port: 8080, source: "lb"), FirewallRule(layer: "db", port: 3306, source: "app"),
        ])

        let plan = try h.recipe(["plan", Self.recipe], environment: moto.environment)
        #expect(plan.code == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(Self.calls(plan).changing == 0 && Self.calls(plan).total <= 5, "\(plan.stderr)")

        let bigger = try h.recipe(["plan", Self.recipe, "apps=140"], environment: moto.environment)
        #expect(bigger.code == 2 && bigger.stdout.contains("Plan: 10 to add, 0 to change, 0 to destroy."))
        let grown = try h.recipe(["run", Self.recipe, "apps=140"], environment: moto.environment)
        #expect(grown.code == 0 && Self.calls(grown).byAction["RunInstances"] == 1, "\(grown.stderr)")
        #expect(try await ec2.describe(cluster: "monster-world").instances.count == 147)

        let destroyed = try h.recipe(["destroy", "monster-world", "--yes"], environment: moto.environment)
        #expect(destroyed.code == 0, "\(destroyed.stderr)")
        let after = try await ec2.describe(cluster: "monster-world")
        #expect(after.instances.isEmpty && after.volumes.isEmpty && after.addresses.isEmpty && (after.firewall ?? []).isEmpty)
        #expect(try await ec2.describe(cluster: "bystander").instances.count == 1)
    }

    @Test func cloningAtOneTenthBuildsItsVolumesFromSnapshots() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        #expect(try h.recipe(["run", Self.recipe], environment: moto.environment).code == 0)
        let clone = try h.recipe(["run", "Recipes/clone.lua", "from=monster-world", "to=mw-copy", "scale=0.1", "data=snapshot"],
                                 environment: moto.environment)
        #expect(clone.code == 0, "\(clone.stderr)")
        let copy = try await EC2Provider(config: moto.config()).describe(cluster: "mw-copy")
        #expect(Dictionary(grouping: copy.instances, by: \.layer).mapValues(\.count) == ["lb": 1, "app": 13, "db": 1, "slave": 1])
        #expect(copy.volumes.count == 3 && copy.volumes.allSatisfy { $0.snapshotID != nil && $0.instanceID != nil }, "\(copy.volumes)")
        #expect(copy.addresses.count == 1 && copy.firewall?.count == 4)
    }

    @Test func imperativePrimitivesWorkOnCloudInstances() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        let recipe = try h.write("tiny.lua", """
            cluster "tiny" { provider = "ec2", layers = { web = { count = 2, image = "ami-12c6146b" } } }
            local first, second = table.unpack(instance.list{ cluster = "tiny", layer = "web" })
            first:stop()
            assert(first.state == "stopping" or first.state == "stopped", first.state)
            second:terminate()
            local extra = instance.launch{ layer = "web", image = "ami-12c6146b" }
            log.info("launched %s", extra.name)
            """)
        let output = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(output.code == 0, "\(output.stderr)")
        #expect(output.stdout.contains("[info] launched web-2"), "\(output.stdout)")
        let tiny = try await EC2Provider(config: moto.config()).describe(cluster: "tiny")
        #expect(Set(tiny.instances.map(\.name)) == ["web-1", "web-2"])
        #expect(tiny.instances.first { $0.name == "web-1" }.map { [.stopping, .stopped].contains($0.state) } == true)
    }

    @Test func aThrottledRunConvergesToTheSameInventoryWithNothingDuplicated() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let proxy = try ThrottleProxy(target: moto.port, share: 0.2)
        defer { proxy.stop() }
        let h = try Harness()
        var env = moto.environment
        env["AWS_ENDPOINT_URL"] = proxy.endpoint
        h.cleanupEnvironment = env
        defer { h.cleanup() }
        let run = try h.recipe(["run", Self.recipe], environment: env)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stderr.contains("retried") && !run.stderr.contains(" 0 retried"), "\(run.stderr)")
        let inventory = try await EC2Provider(config: moto.config()).describe(cluster: "monster-world")
        #expect(inventory.instances.count == 137 && Set(inventory.instances.map(\.name)).count == 137)
        #expect(inventory.volumes.count == 8 && inventory.addresses.count == 1 && inventory.firewall?.count == 4)
        #expect(try h.recipe(["plan", Self.recipe], environment: env).code == 0)
    }

    @Test func badCredentialsRegionOrEndpointAreRefusedBeforeAnyChange() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        defer { h.cleanup() }
        var wrong = moto.environment
        wrong["AWS_SECRET_ACCESS_KEY"] = "definitely-wrong"
        let refused = try h.recipe(["run", Self.recipe], environment: wrong)
        #expect(refused.code == 1)
        #expect(refused.stderr.contains(moto.endpoint) && refused.stderr.contains("AuthFailure"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("definitely-wrong") && !refused.stdout.contains("definitely-wrong"))
        #expect(try await EC2Provider(config: moto.config()).describe(cluster: "monster-world").instances.isEmpty)

        let typo = try h.recipe(["run", Self.recipe, "region=eu west 1"], environment: moto.environment)
        #expect(typo.code == 1 && typo.stderr.contains("region 'eu west 1'"), "\(typo.stderr)")
        let badEndpoint = try h.recipe(["run", Self.recipe, "endpoint=htp:/nowhere"], environment: moto.environment)
        #expect(badEndpoint.code == 1 && badEndpoint.stderr.contains("is not an http(s) URL"), "\(badEndpoint.stderr)")
        #expect(try await EC2Provider(config: moto.config()).describe(cluster: "monster-world").instances.isEmpty)
    }
}
