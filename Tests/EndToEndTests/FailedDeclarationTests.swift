import Foundation
import Testing

/// Issue 18, point 4: a failed declaration is not the truth. After a first release that failed
/// (its source does not exist), the run that declares a good source fetches that one, and the
/// plan shows both the recorded source and the declared one.
@Suite struct FailedDeclarationTests {
    @Test func point4_aNewSourceAfterAFailedFirstReleaseIsTheOneFetched() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("first.lua", """
            cluster "first" {
              apps = { shop = { source = arg.src, start = "python3 server.py", port = 8000, health = "/health" } },
              layers = { web = { count = 1, apps = { "shop" } } },
            }
            """)
        let missing = h.home.appendingPathComponent("missing.tar.gz").path
        let failed = try h.recipe(["run", recipe, "src=file:\(missing)"])
        #expect(failed.code == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stderr.contains("missing.tar.gz does not exist"), "\(failed.stderr)")

        let good = "file:" + Harness.repo.appendingPathComponent("Examples/webapp/app").path
        let plan = try h.recipe(["plan", recipe, "src=\(good)"])
        #expect(plan.stdout.contains("~ app shop: source file:\(missing) → \(good)"), "\(plan.stdout)")
        let fixed = try h.recipe(["run", recipe, "src=\(good)"])
        #expect(fixed.code == 0, "\(fixed.stdout)\(fixed.stderr)")
        #expect(!fixed.stderr.contains("missing.tar.gz"), "the failed source is not fetched again: \(fixed.stderr)")
        let web = try #require(try h.status("first").instances.first)
        #expect(Harness.get("http://\(web.private_ip):8000/") != nil, "the good release serves")
        #expect(try h.recipe(["plan", recipe, "src=\(good)"]).code == 0, "nothing left to change")
    }
}
