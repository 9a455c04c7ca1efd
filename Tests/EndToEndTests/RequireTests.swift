import Foundation
import Testing

/// Issue 11, point 4: a recipe named like a Stdlib cookbook, and require cycles.
@Suite struct RequireTests {
    @Test func point4_aRecipeNamedLikeACookbookDeclaresWithTheCookbook() throws {
        let h = try Harness()
        defer { h.cleanup() }
        // backups = ... makes the prelude load Stdlib's backup: not this file, which is also "backup"
        let recipe = try h.write("backup.lua", """
            cluster "vault" {
              layers = { db = { count = 0, volumes = { data = { size_gb = 1, mount = "/srv/data" } } } },
              backups = { db = { every = "1h", keep = 2 } },
            }
            """)
        let plan = try h.recipe(["plan", recipe])
        #expect(!plan.signalled && [0, 2].contains(plan.code), "\(plan.stdout)\(plan.stderr)")
        #expect(!plan.stderr.contains("stack overflow"), "\(plan.stderr)")
    }

    @Test func point4_aRequireCycleIsAnErrorNamingTheChain() throws {
        let h = try Harness()
        defer { h.cleanup() }
        _ = try h.write("first.lua", "return require('second')")
        _ = try h.write("second.lua", "return require('first')")
        let recipe = try h.write("cycle.lua", "local x = require('first')")
        let run = try h.recipe(["run", recipe])
        #expect(run.code == 1 && !run.signalled, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("require cycle: first -> second -> first"), "\(run.stderr)")
        #expect(run.stderr.contains("second.lua:1:"), "\(run.stderr)")
    }
}

/// Issue 11, point 6: a method called with a dot is named as such at the recipe line.
@Suite struct MethodCallTests {
    @Test func point6_aMethodCalledWithADotSaysToUseTheColon() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("dot.lua", """
            cluster "dot" { layers = { web = { count = 1 } } }
            local i = instance.list{ cluster = "dot" }[1]
            i.stop()
            """)
        let run = try h.recipe(["run", recipe])
        #expect(run.code == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("dot.lua:3: use instance:stop() (a method, with a colon), not instance.stop()"), "\(run.stderr)")
    }
}
