import Foundation
import TestSupport
import Testing

/// Issue 14's acceptance on moto: the shop of Examples/webapp on EC2 (`ec2.lua`), with
/// `recipe serve` as the controller. Its instances launch into a subnet whose addresses are
/// loopback ones, so each machine's app and HAProxy serve at the private address the inventory
/// shows, and the balancer reaches the web instances there, as on a VPC.
extension AgentLinkTests {
    @Test func theShopOnEC2BalancesRollsAReleaseWithoutAFailureAndReplacesAKilledAgent() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let (moto, h, machines) = (fleet.moto, fleet.h, fleet.machines)
        let subnet = try machines.loopbackSubnet()
        let repo = try DeployTests.Repository(in: h.scratch)
        try repo.commit("v1")
        let recipe = Harness.repo.appendingPathComponent("Examples/webapp/ec2.lua").path
        let run = try h.recipe(["run", recipe, "subnet=\(subnet)", "source=git+file:\(repo.path.path)", "ref=v1"],
                               timeout: 240, environment: moto.environment)
        #expect(run.code == 0, "\(run.stdout)\n\(run.stderr)\nagents: \(machines.bootedInstances.map(machines.agentLog))")

        // every instance's agent reports, from the address the inventory shows
        let shop = try h.status("shop", environment: moto.environment)
        let web = shop.instances.filter { $0.layer == "web" }.sorted { $0.name < $1.name }
        #expect(web.count == 3 && shop.instances.count == 4, "\(shop.instances.map(\.name))")
        #expect(shop.instances.allSatisfy { $0.private_ip.hasPrefix("127.") }, "\(shop.instances.map(\.private_ip))")
        let reported = try Harness.eventually(timeout: 20) {
            try h.status("shop", environment: moto.environment).instances.allSatisfy { $0.last_heartbeat != nil }
        }
        #expect(reported != nil, "every agent beats")
        let registered = try h.recipe(["events", "--cluster", "shop", "--kind", "agent.registered"]).stdout
        for instance in shop.instances { #expect(registered.contains("agent:\(instance.id)"), "\(instance.name): \(registered)") }

        // HAProxy on the lb instance balances the three web apps
        let lb = try #require(shop.instances.first { $0.layer == "lb" })
        let url = "http://\(lb.private_ip):8080/"
        var seen: Set<String> = []
        _ = Harness.eventually(timeout: 20) {
            if let answer = Harness.get(url) { seen.insert(answer) }
            return seen.count == 3
        }
        #expect(seen == Set(web.map { "v1 \($0.id)\n" }), "every web instance answers through the balancer: \(seen)")

        // what the apps write reaches the controller with their agents' heartbeats
        var logs = ""
        let logged = Harness.eventually(timeout: 20) {
            logs = (try? h.recipe(["logs", "shop", web[0].name, "--service", "app-shop"], environment: moto.environment))?.stdout ?? ""
            return logs.contains("serving v1")
        }
        #expect(logged != nil, "recipe logs shows an EC2 app's output: \(logs)")

        // a rolling deploy, v1 to v2, under steady load: no request fails
        let load = LoadGenerator(url: url, perSecond: 40)
        try repo.commit("v2")
        let deployed = try h.recipe(["deploy", "shop", "shop", "--ref", "v2"], timeout: 240, environment: moto.environment)
        #expect(deployed.code == 0, "\(deployed.stdout)\n\(deployed.stderr)")
        #expect(load.nextAnswers() == ["v2"], "only v2 once the rollout is done")
        let result = load.stop()
        print("ec2 shop: deploy v1 -> v2 behind HAProxy: \(result.sent) requests, \(result.failures.count) failed")
        #expect(result.sent > 40)
        #expect(result.failures.isEmpty, "\(result.failures.count) of \(result.sent) requests failed: \(Set(result.failures))")
        let drains = try h.recipe(["events", "--cluster", "shop", "--kind", "hook.drain"]).stdout
        #expect(web.allSatisfy { drains.contains("\($0.name), deploy") }, "the balancer drained each web instance in turn: \(drains)")

        // kill -9 of one web agent: found silent after 3 missed heartbeats of 2 s, and replaced
        let victim = web[1]
        machines.kill(victim.id)
        let killed = Date()
        var replacement: StatusDocument.Instance?
        _ = try Harness.eventually(timeout: 90) {
            let now = try h.status("shop", environment: moto.environment).instances
            replacement = now.first { $0.layer == "web" && !web.map(\.id).contains($0.id) && $0.last_heartbeat != nil }
            return replacement != nil && !now.contains { $0.id == victim.id && $0.state == "running" }
        }
        let mended = Date().timeIntervalSince(killed)
        let events = try h.recipe(["events", "--cluster", "shop"]).stdout
        let fresh = try #require(replacement, "a replacement reports; events:\n\(events)\nserve:\n\(h.logText().suffix(3000))")
        print("ec2 shop: agent killed -> its replacement's agent reports in \(String(format: "%.1f", mended)) s (heartbeat 2 s)")
        #expect(events.contains("its agent is silent"), "\(events)")
        #expect(fresh.name == victim.name, "the replacement takes the victim's slot")
        #expect(mended <= 30, "detected and replaced within 20 s (30 allowed on a busy machine): \(mended) s")
        // the replacement runs v2 and is balanced again
        let balanced = Harness.eventually(timeout: 30) { Harness.get(url) == "v2 \(fresh.id)\n" }
        #expect(balanced != nil, "the balancer routes to the replacement, on v2")
    }
}
