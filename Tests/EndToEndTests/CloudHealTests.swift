import Cloud
import EC2
import Foundation
import Testing
import TestSupport

/// Healing on EC2 (moto_server): an instance terminated with boto3 behind the tool's back is
/// replaced by `recipe serve` in its slot, with its data volume and its elastic IP.
@Suite struct CloudHealTests {
    @Test func anInstanceTerminatedOutsideIsReplacedWithItsVolumeAndAddress() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        let recipe = try h.write("healed.lua", """
            cluster "healed" {
              provider = "ec2",
              layers = {
                web = { count = 2, image = "ami-12c6146b", heal = { after = "1s" }, elastic_ip = true,
                        volumes = { data = { size_gb = 10, mount = "/srv/data" } } },
              },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(run.code == 0, "\(run.stderr)")
        let ec2 = EC2Provider(config: moto.config())
        let before = try await ec2.describe(cluster: "healed")
        let victim = try #require(before.instances.first { $0.name == "web-1" })
        let volume = try #require(before.volumes.first { $0.instanceID == victim.id })
        let addresses = Set(before.addresses.map(\.ip))
        #expect(before.addresses.count == 2)

        let serve = try h.serve(environment: moto.environment)
        defer { h.stop(serve) }
        sleep(2)  // the scheduler's first poll sees web-1 up

        try Boto3.run("ec2.terminate_instances(InstanceIds=[sys.argv[1]])", [victim.id], on: moto)

        // two polling intervals (1 s each) to notice, then the replacement's launch
        var after: Inventory?
        for _ in 0..<40 {
            let now = try await ec2.describe(cluster: "healed")
            if let web1 = now.instances.first(where: { $0.name == "web-1" }), web1.id != victim.id,
               now.volumes.contains(where: { $0.id == volume.id && $0.instanceID == web1.id }),
               now.addresses.contains(where: { $0.instanceID == web1.id }) {
                after = now
                break
            }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let events = try h.recipe(["events"]).stdout
        let healed = try #require(after, "web-1 replaced with its volume and an elastic IP; events:\n\(events)")
        #expect(healed.instances.count == 2)
        #expect(Set(healed.addresses.map(\.ip)) == addresses, "the elastic IPs are the same, moved")
        #expect(healed.volumes.count == before.volumes.count, "no new disk for the slot")
        #expect(try h.recipe(["events", "--kind", "instance.failed"]).stdout.contains("terminated outside recipe"))
    }
}
