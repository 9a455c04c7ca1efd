import Foundation
import TestSupport
import Testing

/// Plans, hooks in order, clones and crash safety on the local provider.
@Suite struct LifecycleTests {
    struct EventLine: Decodable {
        var id: Int64
        var kind: String
        var subject: String?
        var result: String
    }

    static func events(_ h: Harness, cluster: String) throws -> [EventLine] {
        try h.recipe(["events", "--cluster", cluster, "--json"]).stdout.split(separator: "\n").map {
            try JSONDecoder().decode(EventLine.self, from: Data($0.utf8))
        }
    }

    @Test func planExitsTwoThenZeroAndShowsScalingAndDrift() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let empty = try h.recipe(["plan", "Examples/webapp/cluster.lua"])
        #expect(empty.code == 2, "\(empty.stderr)")
        #expect(empty.stdout.contains("shop: Plan: 5 to add, 2 to change, 0 to destroy."), "\(empty.stdout)")
        #expect(empty.stdout.contains("~ firewall web: +8000/tcp from lb"))
        #expect(h.agentPIDs().isEmpty, "plan launches nothing")

        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua"]).code == 0)
        let same = try h.recipe(["plan", "Examples/webapp/cluster.lua"])
        #expect(same.code == 0)
        #expect(same.stdout.contains("shop: Plan: 0 to add, 0 to change, 0 to destroy."))

        let bigger = try h.recipe(["plan", "Examples/webapp/cluster.lua", "web=5"])
        #expect(bigger.code == 2)
        #expect(bigger.stdout.contains("shop: Plan: 2 to add, 0 to change, 0 to destroy."))
        #expect(bigger.stdout.contains("+ instance web-4") && bigger.stdout.contains("+ instance web-5"))

        let json = try h.recipe(["plan", "Examples/webapp/cluster.lua", "web=2", "--json"])
        #expect(json.code == 2)
        #expect(json.stdout.contains("\"destroy\" : 1") && json.stdout.contains("\"name\" : \"web-3\""), "\(json.stdout)")

        let web2 = try #require(try h.status("shop").instances.first { $0.name == "web-2" })
        kill(try #require(web2.agent_pid), SIGKILL)
        let drift = try h.recipe(["plan", "Examples/webapp/cluster.lua"])
        #expect(drift.code == 2)
        #expect(drift.stdout.contains("+ instance web-2 (replaces lost \(web2.id))"), "\(drift.stdout)")
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua"]).code == 0)
        let healed = try #require(try h.status("shop").instances.first { $0.name == "web-2" })
        #expect(healed.id != web2.id && healed.health == "healthy" && healed.state == "online")
        #expect(try h.recipe(["plan", "Examples/webapp/cluster.lua"]).code == 0)
    }

    @Test func hooksRunInOrderAndConfigureFollowsEveryMembershipChange() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("hooks.lua", """
            local function note(e) log.info("%s %s %s", e.kind, e.instance.name, e.attributes.tier) end
            cluster "order" {
              apps = { api = { start = "true" } },
              attributes = { tier = "cluster" },
              layers = {
                app = {
                  count = arg.count or 3,
                  apps = { "api" },
                  attributes = { tier = "layer" },
                  on = {
                    setup = function(e)
                      note(e)
                      if e.instance.name == arg.fail then error("setup refused on " .. e.instance.name) end
                    end,
                    deploy = function(e) assert(e.app == "api"); note(e) end,
                    configure = note,
                  },
                },
              },
            }
            on("configure", function(e) assert(not pcall(function() e.attributes.tier = "x" end), "attributes are read-only") end)
            """)
        let first = try h.recipe(["run", recipe])
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("[info] setup app-1 layer"))

        var events = try Self.events(h, cluster: "order")
        for name in ["app-1", "app-2", "app-3"] {
            let setup = try #require(events.first { $0.kind == "hook.setup" && $0.subject == name })
            let deploy = try #require(events.first { $0.kind == "hook.deploy" && $0.subject == name })
            let online = try #require(events.first { $0.kind == "instance.online" && $0.subject == name })
            #expect(setup.id < deploy.id && deploy.id < online.id, "\(name): setup, deploy, online")
            let configure = events.filter { $0.kind == "hook.configure" && $0.subject == name }
            #expect(configure.count == 1 && configure[0].id > events.filter { $0.kind == "instance.online" }.map(\.id).max()!)
        }

        // one more instance, whose setup fails: recorded, never online; the others are configured again
        let second = try h.recipe(["run", recipe, "count=4", "fail=app-4"])
        #expect(second.code == 1, "a failed setup fails the run: \(second.stderr)")
        #expect(second.stdout.contains("setup failed on app-4"))
        #expect(second.stderr.contains("order: setup failed on app-4: ") && second.stderr.contains("setup refused on app-4"), "\(second.stderr)")
        events = try Self.events(h, cluster: "order")
        let failed = try #require(events.first { $0.kind == "hook.setup" && $0.subject == "app-4" })
        #expect(failed.result.contains("hooks.lua:") && failed.result.contains("setup refused on app-4"), "\(failed.result)")
        #expect(!events.contains { $0.kind == "instance.online" && $0.subject == "app-4" })
        let order = try h.status("order")
        #expect(order.instances.first { $0.name == "app-4" }?.state == "setup_failed")
        for name in ["app-1", "app-2", "app-3"] {
            #expect(events.filter { $0.kind == "hook.configure" && $0.subject == name && $0.result == "ok" }.count == 2)
        }
        #expect(try h.recipe(["plan", recipe, "count=4"]).stdout.contains("~ instance app-4: run setup again (setup_failed)"))
    }

    @Test func shutdownRunsBeforeTerminateAndTheRestAreConfigured() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("leave.lua", """
            cluster "leave" { layers = { app = { count = 3, on = {
              shutdown = function(e) log.info("shutdown %s", e.instance.name) end,
              configure = function(e) end,
            } } } }
            local leaving = instance.list{ cluster = "leave", layer = "app" }[3]
            leaving:terminate()
            """)
        let output = try h.recipe(["run", recipe])
        #expect(output.code == 0, "\(output.stderr)")
        let events = try Self.events(h, cluster: "leave")
        let shutdown = try #require(events.first { $0.kind == "hook.shutdown" && $0.subject == "app-3" })
        let terminated = try #require(events.first { $0.kind == "instance.terminated" })
        #expect(shutdown.id < terminated.id)
        for name in ["app-1", "app-2"] {
            #expect(events.contains { $0.kind == "hook.configure" && $0.subject == name && $0.id > terminated.id })
        }
        #expect(try h.status("leave").instances.count == 2)
    }

    @Test func cloneCopiesLayersAccessAndDataFromSnapshots() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua"]).code == 0)
        let mark = try h.write("mark.lua", """
            local web1 = instance.list{ cluster = "shop", layer = "web" }[1]
            assert(run(web1, "echo from-shop > srv/data/marker").code == 0)
            """)
        #expect(try h.recipe(["run", mark]).code == 0)

        let refused = try h.recipe(["run", "Recipes/clone.lua", "from=shop", "to=shop"])
        #expect(refused.code == 1 && refused.stderr.contains("cluster shop already exists"))

        let clone = try h.recipe(["run", "Recipes/clone.lua", "from=shop", "to=shop-copy", "data=snapshot", "scale=0.5"])
        #expect(clone.code == 0, "\(clone.stderr)")
        let copy = try h.status("shop-copy")
        #expect(copy.instances.filter { $0.layer == "web" }.count == 2, "3 × 0.5 rounds to 2")
        #expect(copy.instances.filter { $0.layer == "lb" }.count == 1)
        #expect(copy.addresses.count == 1)
        let web1 = try #require(copy.instances.first { $0.name == "web-1" })
        let volume = try #require(copy.volumes.first { $0.instance_id == web1.id })
        let marker = h.home.appendingPathComponent("local/volumes/\(volume.id)/marker")
        #expect((try? String(contentsOf: marker, encoding: .utf8)) == "from-shop\n")

        let compare = try h.write("compare.lua", """
            local a, b = cluster.get("shop"):spec(), cluster.get("shop-copy"):spec()
            assert(b.firewall.web[1].from == "lb" and b.firewall.web[1].port == 8000, "firewall copied")
            assert(b.firewall.lb[1].from == a.firewall.lb[1].from, "firewall copied")
            assert(b.users.alice.role == "manage" and b.users.alice.ssh_key == a.users.alice.ssh_key, "users copied")
            assert(b.attributes.site == "shop", "attributes copied")
            assert(b.layers.web.volumes.data.mount == "/srv/data", "volumes copied")
            """)
        let compared = try h.recipe(["run", compare])
        #expect(compared.code == 0, "\(compared.stderr)")
    }

    @Test func aKilledApplyIsCompletedByTheNextRun() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("thirty.lua", """
            cluster "big" { layers = { node = { count = 30, volumes = { data = { size_gb = 1, mount = "/data" } } } } }
            """)
        let process = Process()
        process.executableURL = Harness.binary
        process.arguments = ["run", recipe]
        process.environment = ProcessInfo.processInfo.environment.merging(["RECIPE_HOME": h.home.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        // kill it once some instances are recorded, before the apply can finish
        _ = Harness.eventually(timeout: 10) { h.agentPIDs().count >= 3 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let again = try h.recipe(["run", recipe])
        #expect(again.code == 0, "\(again.stderr)")
        let big = try h.status("big")
        #expect(big.instances.count == 30)
        #expect(Set(big.instances.map(\.name)).count == 30)
        #expect(big.instances.allSatisfy { $0.state == "online" && $0.health == "healthy" })
        let recorded = Set(big.instances.compactMap(\.agent_pid))
        let running = Set(h.agentPIDs())
        #expect(recorded == running, "every agent has a record and every record an agent")
        #expect(big.volumes.count == 30 && big.volumes.allSatisfy { $0.instance_id != nil })
        #expect(try h.recipe(["plan", recipe]).code == 0)
    }
}
