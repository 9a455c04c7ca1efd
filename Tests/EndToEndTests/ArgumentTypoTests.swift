import Foundation
import Testing

/// Issue 11, point 5: an argument the recipe never read is reported (an error under --strict and
/// for `recipe serve`), and typos in primitives' and cookbooks' fields are errors naming the
/// field, the known ones and the user's line.
@Suite struct ArgumentTypoTests {
    static let unused = "argument 'wbe' was not used by the recipe"

    @Test func point5_anArgumentTheRecipeNeverReadIsAWarningOnPlanAndRunAndAnErrorUnderStrict() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let plan = try h.recipe(["plan", "Examples/webapp/cluster.lua", "wbe=5"])
        #expect(plan.code == 2, "\(plan.stderr)")
        #expect(plan.stderr.contains("warning: \(Self.unused)"), "\(plan.stderr)")
        let strictPlan = try h.recipe(["plan", "Examples/webapp/cluster.lua", "wbe=5", "--strict"])
        #expect(strictPlan.code == 1, "\(strictPlan.stderr)")
        #expect(strictPlan.stderr.contains(Self.unused), "\(strictPlan.stderr)")

        let recipe = try h.write("args.lua", """
            cluster "args" { layers = { web = { count = arg.count or 0 } } }
            """)
        let strict = try h.recipe(["run", recipe, "count=0", "wbe=5", "--strict"])
        #expect(strict.code == 1, "\(strict.stderr)")
        #expect(strict.stderr.contains(Self.unused) && !strict.stderr.contains("'count'"), "\(strict.stderr)")
        #expect(try h.recipe(["status", "--json"]).stdout.contains("\"args\"") == false, "nothing applied under --strict")

        let loose = try h.recipe(["run", recipe, "count=0", "wbe=5"])
        #expect(loose.code == 0, "\(loose.stderr)")
        #expect(loose.stderr.contains("warning: \(Self.unused)"), "\(loose.stderr)")
        let clean = try h.recipe(["run", recipe, "count=0"])
        #expect(clean.code == 0 && !clean.stderr.contains("was not used"), "\(clean.stderr)")

        // every argument read through pairs() counts as read
        let listing = try h.write("pairs.lua", "for k, v in pairs(arg) do log.info(\"%s=%s\", k, tostring(v)) end\n")
        let listed = try h.recipe(["run", listing, "a=1", "b=two", "--strict"])
        #expect(listed.code == 0 && listed.stdout.contains("b=two"), "\(listed.stderr)")
    }

    @Test func point5_recipeServeLoadsRecipesStrictly() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("served.lua", """
            cluster "served" { layers = { web = { count = arg.count or 0 } } }
            every("1h", function() end)
            """)
        #expect(try h.recipe(["run", recipe, "count=0", "wbe=5"]).code == 0)
        let serve = try h.serve()
        defer { h.stop(serve) }
        let log = h.home.appendingPathComponent("serve.log")
        let refused = Harness.eventually(timeout: 10) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.contains("served.lua (count=0 wbe=5) not loaded") && text.contains(Self.unused)
        }
        #expect(refused != nil, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    typealias Case = BadInputTests.Case

    static let typos: [Case] = [
        Case(name: "volume-size", source: "cluster \"typo\" { layers = { web = { count = 0 } } }\n\nlocal v = volume.create{ sise_gb = 1 }\n", line: 3,
             says: "volume.create: unknown field 'sise_gb' (known: cluster, name, size_gb, snapshot)"),
        Case(name: "launch-layer", source: "cluster \"typo\" { layers = { web = { count = 0 }, db = { count = 0 } } }\nlocal i = instance.launch{ layer = \"nope\" }\n", line: 2,
             says: "instance.launch: cluster typo has no layer 'nope' (layers: db, web)"),
        Case(name: "launch-field", source: "cluster \"typo\" { layers = { web = { count = 0 } } }\nlocal i = instance.launch{ layer = \"web\", imgae = \"x\" }\n", line: 2,
             says: "instance.launch: unknown field 'imgae' (known: cluster, image, instance_type, layer, name, services)"),
        Case(name: "alert-webhook", source: "\nalert{ on = { \"instance.failed\" }, webhok = \"https://hooks.example.org/x\" }\n", line: 2,
             says: "alert: unknown field 'webhok' (known: on, retry, webhook)"),
        Case(name: "alert-retry", source: "alert{ on = { \"instance.failed\" }, webhook = \"https://h.example.org/x\", retry = { tiems = 2 } }\n", line: 1,
             says: "alert: retry: unknown field 'tiems' (known: backoff, times)"),
        Case(name: "backups-every", source: "cluster \"typo\" {\n  layers = { web = {} },\n  backups = { web = { evrey = \"5s\" } },\n}\n", line: 3,
             says: "backups.web: unknown field 'evrey' (known: every, keep)"),
    ]

    @Test(arguments: typos)
    func point5_typosNameTheFieldTheKnownOnesAndTheLine(_ c: Case) throws {
        try BadInputTests.expectRefused(c)
    }
}
