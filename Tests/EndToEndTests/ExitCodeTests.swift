import Foundation
import Testing

/// Issue 11, point 3: a failed hook, step or instance makes `recipe run` exit non-zero, and the
/// error itself (file:line, message) is printed, not only recorded.
@Suite struct ExitCodeTests {
    @Test func point3_failedSetupOnEveryInstanceExitsNonZeroAndPrintsTheError() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("broken.lua", """
            cluster "broken" {
              layers = { web = { count = 2, on = {
                setup = function(e)
                  error("no disk on " .. e.instance.name)
                end,
              } } },
            }
            """)
        let output = try h.recipe(["run", recipe])
        #expect(output.code == 1, "exit \(output.code): \(output.stdout) \(output.stderr)")
        #expect(output.stdout.contains("broken: setup failed on web-1, web-2\n"), "\(output.stdout)")
        for name in ["web-1", "web-2"] {
            #expect(output.stderr.contains("broken: setup failed on \(name): "), "\(output.stderr)")
            #expect(output.stderr.contains("broken.lua:4: no disk on \(name)"), "\(output.stderr)")
        }
        #expect(output.stderr.contains("2 hooks failed (also in recipe events --cluster broken)"), "\(output.stderr)")
    }

    @Test func point3_failedConfigureExitsNonZeroWhileTheInstancesComeOnline() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("configure.lua", """
            cluster "conf" {
              layers = { web = { count = 1, on = {
                configure = function(e) error("bad template") end,
              } } },
            }
            """)
        let output = try h.recipe(["run", recipe])
        #expect(output.code == 1, "exit \(output.code): \(output.stderr)")
        #expect(output.stderr.contains("conf: configure failed on web-1: "), "\(output.stderr)")
        #expect(output.stderr.contains("configure.lua:3: bad template"), "\(output.stderr)")
        #expect(try h.status("conf").instances.first?.state == "online")
        // nothing left to change and no hook run: the next run succeeds
        #expect(try h.recipe(["run", recipe]).code == 0)
    }

    @Test func point3_failedDeployHookExitsNonZero() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let app = Harness.repo.appendingPathComponent("Examples/webapp/app").path
        let recipe = try h.write("deployhook.lua", """
            cluster "dep" {
              apps = { shop = { source = "file:\(app)", start = "python3 server.py", port = 8000, health = "/health" } },
              layers = { web = { count = 1, apps = { "shop" }, on = {
                deploy = function(e) error("migration failed for " .. e.app) end,
              } } },
            }
            """)
        let output = try h.recipe(["run", recipe])
        #expect(output.code == 1, "exit \(output.code): \(output.stderr)")
        #expect(output.stderr.contains("dep: deploy failed on web-1: "), "\(output.stderr)")
        #expect(output.stderr.contains("deployhook.lua:4: migration failed for shop"), "\(output.stderr)")

        // the same hook fails `recipe deploy` and `recipe rollback` from the command line
        let deployed = try h.recipe(["deploy", "dep", "shop"])
        #expect(deployed.code == 1, "exit \(deployed.code): \(deployed.stdout)\(deployed.stderr)")
        #expect(deployed.stderr.contains("deployhook.lua:4: migration failed for shop"), "\(deployed.stderr)")
        let rolled = try h.recipe(["rollback", "dep", "shop"])
        #expect(rolled.code == 1, "exit \(rolled.code): \(rolled.stdout)\(rolled.stderr)")
        #expect(rolled.stderr.contains("1 hook failed"), "\(rolled.stderr)")
    }

    @Test func point3_aHookFailingUnderAnImperativeStopExitsNonZero() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("stopping.lua", """
            cluster "stopping" { layers = { web = { count = 1, on = {
              shutdown = function(e) error("cannot flush " .. e.instance.name) end,
            } } } }
            cluster.get("stopping"):instances()[1]:stop()
            """)
        let output = try h.recipe(["run", recipe])
        #expect(output.code == 1, "exit \(output.code): \(output.stdout)\(output.stderr)")
        #expect(output.stderr.contains("stopping.lua:2: cannot flush web-1"), "\(output.stderr)")
        #expect(try h.status("stopping").instances.first?.state == "stopped", "the stop went on")
    }
}
