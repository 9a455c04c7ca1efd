import Engine
import Foundation
import Testing

/// Every layer field a recipe can write comes back from `c:spec()` in the shape `cluster{}`
/// takes, so a cluster declared from it (what Recipes/clone.lua does) is the same declaration.
@Suite struct LayerFieldTests {
    @Test func aClusterDeclaredFromAnotherOnesSpecHasTheSameLayers() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await RecipeHarness(fixture: f).run("""
            cluster "shop" {
              provider = "memory",
              layers = {
                web = { count = 2, instance_type = "t3.small", image = "ami-1", elastic_ip = true,
                        volumes = { data = { size_gb = 3, mount = "/srv/data" } },
                        services = { worker = { command = "./work.sh", port = 9000 } },
                        apps = { "shop" }, attributes = { tier = "front" }, heal = { after = "5s" }, heartbeat = "2s",
                        autoscale = { metric = "cpu", up = { above = 70, sustain = "1m", add = 2 }, min = 1, max = 4 } },
              },
              apps = { shop = { start = "python3 server.py" } },
              backups = { web = { every = "1h", keep = 3 } },
            }
            local spec = cluster.get("shop"):spec()
            spec.name = "copy"
            cluster.declare(spec)
            """)
        let shop = try #require(try f.store.cluster("shop")?.declaration())
        let copy = try #require(try f.store.cluster("copy")?.declaration())
        #expect(copy.layers == shop.layers, "every layer field round-trips")
        #expect(copy.apps == shop.apps && copy.backups == shop.backups)
        let web = try #require(copy.layer("web"))
        #expect(web.instanceType == "t3.small" && web.elasticIP && web.healAfter == 5 && web.heartbeat == 2 && web.autoscale?.max == 4)
        #expect(web.volumes.map(\.sizeGB) == [3] && web.services.map(\.port) == [9000])
    }

    /// A remote agent's heartbeat is an interval from 1 s to 60 s; anything else names the field.
    @Test(arguments: [("\"0.5s\"", "heartbeat must be from 1 s to 60 s, got 0.5 s"), ("true", "heartbeat must be an interval such as \"2s\", got boolean"),
                      ("\"soon\"", "heartbeat: ")])
    func aBadHeartbeatIsRefused(value: String, message: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        await #expect {
            try await RecipeHarness(fixture: f).run("""
                cluster "beat" { provider = "memory", layers = { web = { count = 1, heartbeat = \(value) } } }
                """)
        } throws: { error in "\(error)".contains("layer web: \(message)") }
    }
}
