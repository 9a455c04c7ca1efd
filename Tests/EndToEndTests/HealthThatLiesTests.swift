import Foundation
import Testing

/// Issue 11, point 2: health that lies. An instance serves when its services answer their checks
/// (a port listening, an app's health URL answering 2xx); `recipe run` returns once the cluster
/// serves, and health says why it is not healthy.
@Suite(.serialized) struct HealthThatLiesTests {
    @Test func point2_theBalancerAnswersOnTheFirstTryRightAfterTheRun() throws {
        let h = try Harness()
        defer { h.cleanup() }
        for round in 1...3 {
            let run = try h.recipe(["run", "Examples/webapp/cluster.lua"])
            #expect(run.code == 0, "round \(round): \(run.stderr)")
            let lb = try #require(try h.status("shop").instances.first { $0.layer == "lb" })
            #expect(Harness.get("http://\(lb.private_ip):8080/") != nil, "round \(round): the balancer did not answer at once")
            #expect(try h.status("shop").instances.allSatisfy { $0.health == "healthy" })
            let destroyed = try h.recipe(["destroy", "shop", "--yes"])
            #expect(destroyed.code == 0, "round \(round): \(destroyed.stderr)")
        }
    }

    @Test func point2_aServiceThatNeverListensFailsTheRunAndStatusSaysWhy() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("mute.lua", """
            cluster "mute" {
              provider = "local",
              layers = {
                app = { count = 1, services = { sleeper = { command = "sleep 1000", port = 9123 } } },
              },
            }
            """)
        let started = Date()
        let run = try h.recipe(["run", recipe, "--serve-timeout", "2"])
        #expect(run.code == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("app-1: service sleeper: port 9123 not listening"), "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 20, "the wait is bounded by --serve-timeout")
        let app = try #require(try h.status("mute").instances.first)
        #expect(app.health == "unhealthy: service sleeper: port 9123 not listening")
    }

    @Test func point2_aKilledOrSilentAgentSaysSo() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua"]).code == 0)
        let web = try #require(try h.status("shop").instances.first { $0.name == "web-1" })
        let pid = try #require(web.agent_pid)
        kill(pid, SIGKILL)
        var health = ""
        let marked = try Harness.eventually(timeout: 4) {
            health = try h.status("shop").instances.first { $0.name == "web-1" }?.health ?? ""
            return health == "unhealthy: agent gone (pid \(pid))"
        }
        #expect(marked != nil, "web-1: \(health)")

        // a hung agent (stopped) is silent, and status counts the seconds
        let web2 = try #require(try h.status("shop").instances.first { $0.name == "web-2" })
        let hung = try #require(web2.agent_pid)
        kill(hung, SIGSTOP)
        defer { kill(hung, SIGCONT) }
        let silent = try Harness.eventually(timeout: 8) {
            health = try h.status("shop").instances.first { $0.name == "web-2" }?.health ?? ""
            return health.hasPrefix("unhealthy: agent silent for ") && health.hasSuffix(" s")
        }
        #expect(silent != nil, "web-2: \(health)")
    }

    @Test func point2_aBalancerWithNoBackendLeftIsUnhealthyAndSaysWhatItAnswered() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua", "web=1"]).code == 0)
        #expect(try h.status("shop").instances.allSatisfy { $0.health == "healthy" })
        #expect(try h.recipe(["undeploy", "shop", "shop"]).code == 0)
        var health = ""
        let told = try Harness.eventually(timeout: 10) {
            health = try h.status("shop").instances.first { $0.name == "lb-1" }?.health ?? ""
            return health.hasPrefix("unhealthy: service haproxy: GET /health → 503")
        }
        #expect(told != nil, "lb-1: \(health)")
    }
}

