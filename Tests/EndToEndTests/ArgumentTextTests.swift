import Foundation
import Testing

/// Issue 18, point 8: arguments keep their text. `ref=1.10` deploys tag 1.10 (not 1.1, not the
/// app's default), `007` stays `007`, and numeric fields of the declaration still take them.
@Suite struct ArgumentTextTests {
    @Test func point8_refEqualsOnePointTenDeploysTagOnePointTen() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let repo = try DeployTests.Repository(in: h.home)
        try repo.commit("1.1")
        try repo.commit("1.10")
        let recipe = try h.write("tagged.lua", """
            cluster "tagged" {
              apps = { shop = { source = "git+file:\(repo.path.path)", ref = arg.ref or "main", start = "python3 server.py", port = 8000, health = "/" } },
              layers = { web = { count = arg.web or 1, apps = { "shop" } } },
            }
            log.info("ref %s is a %s; web %s", arg.ref, type(arg.ref), arg.web)
            """)
        let run = try h.recipe(["run", recipe, "ref=1.10", "web=2"])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("ref 1.10 is a string; web 2"), "\(run.stdout)")
        let instances = try h.status("tagged").instances
        #expect(instances.count == 2, "a numeric string is a count")
        for web in instances {
            #expect(Harness.get("http://\(web.private_ip):8000/")?.hasPrefix("1.10 ") == true, "\(web.name) serves tag 1.10")
        }
        let listed = try h.write("typed.lua", "log.info(\"[%s] [%s] [%s]\", arg.a, arg.b, arg.c)\n")
        let typed = try h.recipe(["run", listed, "a=007", "b=0x10", "c=true"])
        #expect(typed.stdout.contains("[007] [0x10] [true]"), "\(typed.stdout)")
    }
}
