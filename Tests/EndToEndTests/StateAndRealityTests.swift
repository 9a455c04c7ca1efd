import Foundation
import Store
import Testing

/// Issue 11, point 10: what the state says agrees with what runs.
@Suite struct StateAndRealityTests {
    /// (a) After `recipe undeploy`, no release is current and `plan` says the app will be deployed again.
    @Test func point10aUndeployShowsInReleasesAndPlan() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let repo = try DeployTests.Repository(in: h.home)
        try repo.commit("v1")
        let recipe = try h.write("shop2.lua", """
            cluster "shop2" {
              apps = { shop = { source = "git+file:\(repo.path.path)", ref = "main", start = "python3 server.py",
                                port = 8000, health = "/", health_timeout = 5 } },
              layers = { web = { count = 1, apps = { "shop" } } },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        #expect(try h.answers("shop2") == ["v1"])
        let same = try h.recipe(["plan", recipe])
        #expect(same.stdout.contains("0 to add, 0 to change"), "\(same.stdout)")

        let undeployed = try h.recipe(["undeploy", "shop2", "shop"])
        #expect(undeployed.code == 0, "\(undeployed.stderr)")
        #expect(try Harness.eventually(timeout: 5) { try h.answers("shop2") == ["none"] } != nil)

        let releases = try h.recipe(["releases", "shop2", "shop"])
        #expect(releases.code == 0)
        #expect(!releases.stdout.contains("current"), "\(releases.stdout)")
        #expect(releases.stdout.contains("no release is live (undeployed"), "\(releases.stdout)")
        #expect(releases.stdout.contains("undeployed"), "\(releases.stdout)")

        let plan = try h.recipe(["plan", recipe])
        #expect(plan.code == 2, "changes pending: \(plan.stderr)")
        #expect(plan.stdout.contains("+ app shop (undeployed: deploys main again)"), "\(plan.stdout)")
        #expect(plan.stdout.contains("1 to add"), "\(plan.stdout)")

        // and the run it announces does it, after which there is nothing left to do
        #expect(try h.recipe(["run", recipe]).code == 0)
        #expect(try h.answers("shop2") == ["v1"])
        let releasesAgain = try h.recipe(["releases", "shop2", "shop"]).stdout
        #expect(releasesAgain.contains("current") && !releasesAgain.contains("no release is live"), "\(releasesAgain)")
        #expect(try h.recipe(["plan", recipe]).stdout.contains("0 to add, 0 to change"))
    }

    /// (b) `recipe serve` stops a destroyed cluster's timers: no backups of nothing every second.
    @Test func point10bServeStopsADestroyedClustersTimers() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("gone.lua", """
            cluster "gone" {
              layers = { db = { count = 1, volumes = { data = { size_gb = 1, mount = "/srv/data" } } } },
              backups = { db = { every = "1s", keep = 2 } },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let serve = try h.start(["serve"])
        defer { h.stop(serve) }
        let store = try Store(home: h.home)
        #expect(Harness.eventually(timeout: 10) { ((try? store.events(kind: "backup.done").count) ?? 0) >= 2 } != nil)

        let destroyed = try h.recipe(["destroy", "gone", "--yes"])
        #expect(destroyed.code == 0, "\(destroyed.stderr)")
        #expect(Harness.eventually(timeout: 10) { ((try? store.events(kind: "serve.unloaded").count) ?? 0) >= 1 } != nil)
        Thread.sleep(forTimeInterval: 1.5)  // a run already started may finish
        let before = try store.events(kind: "backup.done").count
        Thread.sleep(forTimeInterval: 4)
        #expect(try store.events(kind: "backup.done").count == before, "no backups after destroy")
        let unloaded = try #require(try store.events(kind: "serve.unloaded").first)
        #expect(unloaded.detail?.contains("gone.lua: cluster gone destroyed") == true, "\(unloaded.detail ?? "")")

        // the same recipe run again is hosted again
        #expect(try h.recipe(["run", recipe]).code == 0)
        #expect(Harness.eventually(timeout: 10) { ((try? store.events(kind: "backup.done").count) ?? 0) >= before + 2 } != nil)
    }

    /// (c) A recipe with imperative primitives is refused by `recipe serve` with how to write one
    /// that can be served; guarded, it is served.
    @Test func point10cServeSaysHowToServeAnImperativeRecipe() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("imp.lua", """
            cluster "imp" { layers = { web = { count = 1 } } }
            local extra = instance.launch{ layer = "web" }
            on("probe.hit", function(e) log.info("hit %s", e.detail) end)
            """)
        let ran = try h.recipe(["run", recipe])
        #expect(ran.code == 0, "\(ran.stderr)")
        let serve = try h.serve()
        defer { h.stop(serve) }
        let store = try Store(home: h.home)
        #expect(Harness.eventually(timeout: 10) { ((try? store.events(kind: "serve.load_failed").count) ?? 0) >= 1 } != nil)
        let refusal = try #require(try store.events(kind: "serve.load_failed").first?.result)
        #expect(refusal.contains("imp.lua:2"), "\(refusal)")
        #expect(refusal.contains("instance.launch changes state: not run while the recipe is loaded for its hooks"), "\(refusal)")
        #expect(refusal.contains("if not cluster.exists(\"NAME\") then ... end") && refusal.contains("cluster{}"), "\(refusal)")

        // guarded, it loads: its hooks run
        _ = try h.write("imp.lua", """
            cluster "imp" { layers = { web = { count = 1 } } }
            if #instance.list{ cluster = "imp", layer = "web" } < 2 then instance.launch{ layer = "web" } end
            on("probe.hit", function(e) log.info("hit %s", e.detail) end)
            """)
        #expect(Harness.eventually(timeout: 10) {
            _ = try? h.recipe(["emit", "imp", "probe.hit", "--detail", "guarded"])
            return (try? h.recipe(["events", "--kind", "hook.log"]).stdout.contains("hit guarded")) == true
        } != nil)
        #expect(try store.events(kind: "serve.load_failed").count == 1, "the guarded version loaded")
    }

    /// (d) `--time-limit` stops the command it interrupted: no process of it is left on the agent,
    /// and its event says it was stopped by the time limit.
    @Test func point10d_timeLimitStopsTheCommandsItInterrupted() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", try h.write("slow.lua", "cluster \"slow\" { layers = { web = { count = 1 } } }")]).code == 0)
        let token = "point10d-\(UUID().uuidString)"
        let recipe = try h.write("wait.lua", """
            local i = instance.list{ cluster = "slow", layer = "web" }[1]
            run(i, "sleep 60 # \(token)")
            """)
        let start = Date()
        let ran = try h.recipe(["run", recipe, "--time-limit", "2"])
        #expect(ran.code != 0, "\(ran.stdout)")
        #expect(ran.stderr.contains("wait.lua:2: time limit exceeded"), "\(ran.stderr)")
        #expect(Date().timeIntervalSince(start) < 15, "the run ends at its limit, not with the command")
        func survivors() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
                guard Int32(entry) != nil, let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")) else {
                    return nil
                }
                let text = String(decoding: cmdline, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
                return text.contains(token) && Harness.isAlive(Int32(entry)!) ? "\(entry): \(text)" : nil
            }
        }
        #expect(Harness.eventually(timeout: 3) { survivors().isEmpty } != nil, "still running: \(survivors())")
        let store = try Store(home: h.home)
        let event = try #require(try store.events(kind: "command.run").first { $0.detail?.contains(token) == true })
        #expect(event.result == "stopped: time limit exceeded", "\(event.result)")
        #expect(event.subject == "web-1")
    }

    /// (e) A hook that loops forever on one instance does not hold up the others' hooks: they run
    /// in its time slices and end long before its budget (10 s) stops it, at its recipe line.
    @Test func point10e_aBusyHookDoesNotDelayTheOthers() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let busy = h.home.appendingPathComponent("busy").path
        let recipe = try h.write("spin.lua", """
            cluster "spin" {
              layers = { web = { count = 3, on = {
                setup = function(e)
                  if e.instance.name == "web-1" then
                    run(e.instance, "touch \(busy)")
                    while true do end
                  end
                  -- the others go on once web-1 is busy, and need the VM for each step
                  run(e.instance, "while [ ! -e \(busy) ]; do sleep 0.05; done")
                  run(e.instance, "echo ready > $ROOT/marker")
                end,
              } } },
            }
            """)
        let ran = try h.recipe(["run", recipe])
        #expect(ran.code == 1, "web-1's setup failed: \(ran.stdout) \(ran.stderr)")
        #expect(ran.stderr.contains("spin: setup failed on web-1: "), "\(ran.stderr)")
        #expect(ran.stderr.contains("spin.lua:6: time limit exceeded"), "\(ran.stderr)")
        let store = try Store(home: h.home)
        let setups = try store.events(kind: "hook.setup")
        let spun = try #require(setups.first { $0.subject == "web-1" })
        #expect(spun.result.contains("time limit exceeded"), "\(spun.result)")
        let busySince = try #require(try FileManager.default.attributesOfItem(atPath: busy)[.modificationDate] as? Date)
        for name in ["web-2", "web-3"] {
            let done = try #require(setups.first { $0.subject == name }, "\(name) ran its setup")
            #expect(done.result == "ok", "\(done.result)")
            let after = done.time.timeIntervalSince(busySince)
            #expect(after < 3, "\(name)'s setup ended \(after) s after web-1 went busy (its budget is 10 s)")
        }
        #expect(spun.time.timeIntervalSince(busySince) > 8, "web-1 ran until its budget")
    }
}
