import Foundation
import Testing

/// Rolling deploys and rollbacks behind a real HAProxy (Stdlib/haproxy) while requests keep
/// coming: nothing fails, a broken release is never routed to, and old releases are pruned.
@Suite struct BalancedDeployTests {
    @Test func deployAndRollbackUnderLoadDropNothing() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let repo = try DeployTests.Repository(in: h.home)
        try repo.commit("v1")
        let recipe = try h.write("lbshop.lua", """
            local haproxy = require "haproxy"
            cluster "lbshop" {
              apps = { shop = { source = "git+file:\(repo.path.path)", ref = "v1", start = "python3 server.py",
                                port = 8000, health = "/", health_timeout = 5 } },
              layers = {
                web = { count = 2, apps = { "shop" } },
                lb = { count = 1, services = { haproxy = haproxy.service { listen = 8080 } },
                       on = haproxy.hooks { listen = 8080, backend = "web", port = 8000, health = "/" } },
              },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let lb = try #require(try h.status("lbshop").instances.first { $0.name == "lb-1" })
        let url = "http://\(lb.private_ip):8080/"
        #expect(Harness.eventually(timeout: 10) { Harness.get(url)?.hasPrefix("v1") == true } != nil)

        let load = LoadGenerator(url: url, perSecond: 50)
        try repo.commit("v2")
        let deployed = try h.recipe(["deploy", "lbshop", "shop", "--ref", "v2"])
        #expect(deployed.code == 0, "\(deployed.stderr)")
        #expect(load.nextAnswers() == ["v2"], "only v2 once the rollout is done")

        let back = try h.recipe(["rollback", "lbshop", "shop"])
        #expect(back.code == 0, "\(back.stderr)")
        #expect(load.nextAnswers() == ["v1"])

        // a release whose health check fails stops at the first instance and is never routed to
        try repo.commit("v3", server: "import sys\nprint('boom: no database configured', file=sys.stderr)\nsys.exit(3)\n")
        let broken = try h.recipe(["deploy", "lbshop", "shop", "--ref", "v3"])
        #expect(broken.code == 1 && broken.stderr.contains("web-1: app shop: GET ")
                && broken.stderr.contains("boom: no database configured"), "\(broken.stderr)")
        let result = load.stop()
        #expect(result.sent > 100)
        #expect(result.failures.isEmpty, "\(result.failures.count) of \(result.sent) requests failed: \(Set(result.failures))")
        #expect(result.answers == ["v1"], "never routed to the broken release")

        // the drain and ready hooks ran on the balancer for each instance the rollouts touched
        let events = try h.recipe(["events", "--cluster", "lbshop", "--kind", "hook.drain"]).stdout
        #expect(events.contains("web-1, deploy") && events.contains("web-2, rollback"), "\(events)")

        // keep = 5 (the default): seven deploys leave five releases on each instance
        for ref in ["v1", "v2", "v1", "v2", "v1", "v2", "v1"] {
            #expect(try h.recipe(["deploy", "lbshop", "shop", "--ref", ref, "--batch", "100%"]).code == 0)
        }
        for instance in try h.status("lbshop").instances where instance.name.hasPrefix("web") {
            let releases = h.home.appendingPathComponent("local/instances/\(instance.id)/srv/apps/shop/releases")
            #expect(try FileManager.default.contentsOfDirectory(atPath: releases.path).count == 5)
        }
    }
}
