import Foundation
import Store
import Testing

/// A clone keeps its source's autoscale and backups in its recorded declaration, and `recipe serve`
/// runs them for the clone: it hosts Recipes/clone.lua again, which declares the clone as recorded.
@Suite struct CloneTests {
    @Test func aCloneKeepsAutoscaleAndBackupsAndServeRunsThem() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let source = try h.write("shop.lua", """
            cluster "shop" {
              layers = {
                web = { count = 1, heal = true, volumes = { data = { size_gb = 1, mount = "/srv/data" } },
                        autoscale = { metric = "requests", up = { above = 100, sustain = "1s", add = 1 }, max = 2,
                                      cooldown = "1h", schedule = { { days = "sat,sun", from = "08:00", to = "09:00", count = 1 } } } },
              },
              backups = { web = { every = "1s", keep = 2 } },
            }
            """)
        #expect(try h.recipe(["run", source]).code == 0)
        let clone = try h.recipe(["run", "Recipes/clone.lua", "from=shop", "to=shop-staging"])
        #expect(clone.code == 0, "\(clone.stderr)")

        // the clone's recorded declaration has both, in the shape cluster{} takes
        let record = try #require(try Store(home: h.home).cluster("shop-staging"))
        #expect(record.spec.contains("\"autoscale\"") && record.spec.contains("\"backups\""), "\(record.spec)")
        let compare = try h.write("compare.lua", """
            local a, b = cluster.get("shop"):spec(), cluster.get("shop-staging"):spec()
            local up = b.layers.web.autoscale.up
            assert(b.layers.web.autoscale.metric == "requests" and up.above == 100 and up.sustain == 1 and up.add == 1, "autoscale up")
            assert(b.layers.web.autoscale.max == 2 and b.layers.web.autoscale.cooldown == 3600, "autoscale bounds")
            assert(b.layers.web.autoscale.schedule[1].days == "sat,sun" and b.layers.web.autoscale.schedule[1].count == 1, "schedule")
            assert(b.backups.web.every == 1 and b.backups.web.keep == 2, "backups")
            assert(b.layers.web.heal.after == a.layers.web.heal.after, "heal")
            assert(cluster.get("shop-staging"):recipe().arguments.from == "shop", "the clone's recipe is on record")
            """)
        let compared = try h.recipe(["run", compare])
        #expect(compared.code == 0, "\(compared.stderr)")
        #expect(try h.recipe(["run", "Recipes/clone.lua", "from=shop", "to=shop-staging"]).code == 0,
                "run again, it declares the clone as recorded")

        // serve runs the clone's backups and its threshold
        let serve = try h.serve()
        let store = try Store(home: h.home)
        let backedUp = Harness.eventually(timeout: 15) {
            ((try? store.events(cluster: "shop-staging", kind: "backup.done").count) ?? 0) >= 2
        }
        #expect(backedUp != nil, "the clone's backups run")
        let staging = try #require(try h.status("shop-staging").instances.first)
        let scaled = Harness.eventually(timeout: 20) {
            _ = try? h.recipe(["metrics", "put", "shop-staging", staging.name, "requests", "500"])
            return ((try? store.events(cluster: "shop-staging", kind: "autoscale.scaled").count) ?? 0) >= 1
        }
        #expect(scaled != nil, "the clone's alarm fires and scales it")
        #expect(try store.events(cluster: "shop-staging", kind: "alarm.fired").count >= 1)
        #expect(try store.events(kind: "serve.load_failed").isEmpty, "every recipe loads")
        h.stop(serve)
        #expect(Harness.eventually(timeout: 20) { (try? h.status("shop-staging").instances.count) == 2 } != nil)
    }
}
