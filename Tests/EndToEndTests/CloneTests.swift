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

    /// Issue 11, point 1: the clone runs its source's hooks under its own name: its HAProxy is
    /// configured and balances the clone's web layer, deploys drain and ready it, and under
    /// `recipe serve` a killed web instance of the clone is replaced and balanced again.
    @Test func point1_aCloneServesWithItsSourcesHooksNowAndUnderServe() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua", "web=2"]).code == 0)
        let clone = try h.recipe(["run", "Recipes/clone.lua", "from=shop", "to=shop-staging", "scale=0.5", "data=snapshot"])
        #expect(clone.code == 0, "\(clone.stderr)")
        #expect(clone.stdout.contains("shop-staging: haproxy on lb-1 balances 1 web instances"), "\(clone.stdout)")

        let staging = try h.status("shop-staging").instances
        let lb = try #require(staging.first { $0.name == "lb-1" })
        let web = try #require(staging.first { $0.name == "web-1" })
        #expect(staging.count == 2, "web scaled by half, at least one")
        let answer = Harness.eventually(timeout: 5) { Harness.get("http://\(lb.private_ip):8080/")?.contains(web.id) == true }
        #expect(answer != nil, "the clone's balancer answers with the clone's own web instance")
        let setup = try h.recipe(["events", "--cluster", "shop-staging", "--kind", "hook.setup"]).stdout
        #expect(setup.contains("web-1") && setup.contains(" ok "), "the source's web setup hook ran for the clone: \(setup)")

        // a deploy of the clone drains and readies its instances in the clone's balancer
        let deployed = try h.recipe(["deploy", "shop-staging", "shop"])
        #expect(deployed.code == 0, "\(deployed.stderr)")
        let hooks = try h.recipe(["events", "--cluster", "shop-staging", "--kind", "hook"]).stdout
        #expect(hooks.contains("hook.drain") && hooks.contains("hook.ready"), "\(hooks)")

        // a second clone of the same source is hosted on its own: serve hosts three recipes
        #expect(try h.recipe(["run", "Recipes/clone.lua", "from=shop", "to=shop-qa", "scale=0.5"]).code == 0)

        // under serve the clone heals, and its balancer follows the replacement
        let serve = try h.serve()
        let store = try Store(home: h.home)
        let started = Harness.eventually(timeout: 10) { ((try? store.events(kind: "serve.started").count) ?? 0) >= 1 }
        #expect(started != nil)
        let hosted = try store.events(kind: "serve.started").first?.detail ?? ""
        #expect(hosted.contains("3 recipes"), "the source and both clones are hosted: \(hosted)")
        kill(try #require(web.agent_pid), SIGKILL)
        let healed = Harness.eventually(timeout: 15) {
            guard let now = try? h.status("shop-staging").instances.first(where: { $0.name == "web-1" }),
                  now.id != web.id, now.state == "online" else { return false }
            return Harness.get("http://\(lb.private_ip):8080/")?.contains(now.id) == true
        }
        #expect(healed != nil, "the clone's web-1 replaced and balanced within 15 s")
        #expect(try store.events(kind: "serve.load_failed").isEmpty, "clone.lua is hosted")
        h.stop(serve)
    }
}
