import Foundation
import Store
import Testing

/// Stdlib/heal under `recipe serve`: a killed web agent is replaced in its slot, with its
/// volume, while the load balancer keeps answering; autoscale follows a pushed metric.
@Suite struct HealTests {
    @Test func aKilledWebAgentIsReplacedWithItsVolumeWhileTheBalancerAnswers() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua"]).code == 0)
        let serve = try h.serve()
        let before = try h.status("shop").instances
        let victim = try #require(before.first { $0.name == "web-2" })
        let lb = try #require(before.first { $0.name == "lb-1" })
        let marker = h.home.appendingPathComponent("local/instances/\(victim.id)/srv/data/marker.txt")
        try "kept".write(to: marker, atomically: true, encoding: .utf8)
        #expect(Harness.eventually(timeout: 10) { Harness.get("http://\(lb.private_ip):8080/") != nil } != nil)

        let load = LoadGenerator(url: "http://\(lb.private_ip):8080/", perSecond: 50)
        kill(try #require(victim.agent_pid), SIGKILL)
        let healed = Harness.eventually(timeout: 10) {
            guard let now = try? h.status("shop").instances.first(where: { $0.name == "web-2" }) else { return false }
            return now.id != victim.id && now.state == "online" && Harness.get("http://\(now.private_ip):8000/") != nil
        }
        #expect(healed != nil, "web-2 replaced and answering within 10 s")
        usleep(500_000)
        let result = load.stop()
        #expect(result.failures.isEmpty, "\(result.failures.count) of \(result.sent) requests failed during the heal")

        let replacement = try #require(try h.status("shop").instances.first { $0.name == "web-2" })
        let kept = h.home.appendingPathComponent("local/instances/\(replacement.id)/srv/data/marker.txt")
        #expect((try? String(contentsOf: kept, encoding: .utf8)) == "kept", "the volume came along")
        #expect(try h.status("shop").instances.count == 4)
        let events = try h.recipe(["events", "--cluster", "shop"]).stdout
        #expect(events.contains("instance.failed") && events.contains("heal.replaced"))

        // a hung agent (stopped, its process still there) misses three heartbeats: killed and replaced
        let hung = try #require(try h.status("shop").instances.first { $0.name == "web-3" })
        let hungPID = try #require(hung.agent_pid)
        kill(hungPID, SIGSTOP)
        let replaced = Harness.eventually(timeout: 15) {
            guard let now = try? h.status("shop").instances.first(where: { $0.name == "web-3" }) else { return false }
            return now.id != hung.id && now.state == "online" && Harness.get("http://\(now.private_ip):8000/") != nil
        }
        #expect(replaced != nil, "web-3 replaced within 15 s of hanging")
        #expect(!Harness.isAlive(hungPID), "the hung agent was killed")
        #expect(try h.recipe(["events", "--kind", "instance.failed"]).stdout.contains("no heartbeat"))
        h.stop(serve)
    }

    @Test func autoscaleGrowsOnASustainedMetricAndShrinksNeverBelowMin() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("scale.lua", """
            cluster "scaled" {
              layers = {
                web = { count = 1,
                        autoscale = { metric = "queue", up = { above = 50, sustain = "2s", add = 1 },
                                      down = { below = 10, sustain = "2s", remove = 1 }, min = 1, max = 3, cooldown = "4s" } },
              },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let serve = try h.start(["serve"])
        func count() -> Int { (try? h.status("scaled").instances.count) ?? -1 }
        func push(_ value: Int, for seconds: Double, until done: () -> Bool = { false }) -> Double? {
            let start = Date()
            while Date().timeIntervalSince(start) < seconds {
                for instance in (try? h.status("scaled").instances) ?? [] {
                    _ = try? h.recipe(["metrics", "put", "scaled", instance.name, "queue", String(value)])
                }
                if done() { return Date().timeIntervalSince(start) }
                usleep(400_000)
            }
            return nil
        }
        // above 50 for the 2 s sustain: one more instance within sustain + 5 s
        let grew = push(80, for: 7) { count() == 2 }
        #expect(grew != nil, "grew within 7 s")
        // still above: a second step only once the 4 s cooldown is over (read from the events'
        // times, not from when this loaded machine got to look)
        _ = push(80, for: 2.5)
        let ups = try Store(home: h.home).events(cluster: "scaled", kind: "autoscale.scaled").filter { $0.detail?.contains("1 -> 2") == true || $0.detail?.contains("2 -> 3") == true }
        #expect(!ups.isEmpty)
        if ups.count > 1 { #expect(ups[1].time.timeIntervalSince(ups[0].time) >= 4, "no second step within the cooldown") }
        // below 10: back to 1, and never under min
        #expect(push(2, for: 20) { count() == 1 } != nil)
        _ = push(2, for: 6)
        #expect(count() == 1, "never under min = 1")
        let scaled = try h.recipe(["events", "--cluster", "scaled", "--kind", "autoscale.scaled"]).stdout
        #expect(scaled.contains("1 -> 2") && scaled.contains("2 -> 1"), "\(scaled)")
        h.stop(serve)
    }
}
