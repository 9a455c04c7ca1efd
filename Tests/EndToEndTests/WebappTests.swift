import Foundation
import Testing

/// Examples/webapp/cluster.lua on the local provider: real agents, real services, real addresses.
@Suite(.serialized) struct WebappTests {
    @Test func bootsFourInstancesThatAnswerAndASecondRunChangesNothing() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let first = try h.recipe(["run", "Examples/webapp/cluster.lua"])
        #expect(first.code == 0, "\(first.stderr)")

        let shop = try h.status("shop")
        #expect(shop.instances.count == 4)
        #expect(shop.instances.allSatisfy { $0.state == "online" })
        #expect(Set(shop.instances.map(\.private_ip)).count == 4)
        #expect(shop.instances.allSatisfy { $0.private_ip.hasPrefix("127.") && $0.private_ip != "127.0.0.1" })
        #expect(shop.instances.allSatisfy { $0.agent_pid != nil })
        #expect(shop.volumes.count == 3 && shop.volumes.allSatisfy { $0.mount == "/srv/data" && $0.instance_id != nil })
        #expect(shop.addresses.count == 1)
        #expect(shop.instances.first { $0.layer == "lb" }?.public_ip == shop.addresses.first?.ip)

        for web in shop.instances where web.layer == "web" {
            let answered = Harness.eventually(timeout: 5) { Harness.get("http://\(web.private_ip):8000/") == web.id + "\n" }
            #expect(answered != nil, "\(web.name) at \(web.private_ip):8000 did not answer with its id")
            #expect(Harness.get("http://\(web.private_ip):8000/health") == "ok\n")
        }

        // HAProxy on the lb instance (and through its elastic IP) answers from every web instance in turn
        let lb = try #require(shop.instances.first { $0.layer == "lb" })
        let webIDs = Set(shop.instances.filter { $0.layer == "web" }.map { $0.id + "\n" })
        for entry in [lb.private_ip, try #require(lb.public_ip)] {
            var seen: Set<String> = []
            _ = Harness.eventually(timeout: 8) {
                if let answer = Harness.get("http://\(entry):8080/") { seen.insert(answer) }
                return seen == webIDs
            }
            #expect(seen == webIDs, "through \(entry): \(seen)")
        }

        let launches = try h.recipe(["events", "--cluster", "shop", "--kind", "instance.launched", "--json"]).stdout
        let second = try h.recipe(["run", "Examples/webapp/cluster.lua"])
        #expect(second.code == 0)
        #expect(second.stdout.contains("shop: Plan: 0 to add, 0 to change, 0 to destroy."))
        let launchesAfter = try h.recipe(["events", "--cluster", "shop", "--kind", "instance.launched", "--json"]).stdout
        #expect(launches == launchesAfter)
        #expect(launches.split(separator: "\n").count == 4)
        #expect(try h.status("shop").instances.map(\.id) == shop.instances.map(\.id))
    }

    @Test func killedAgentTakesItsAppAlongAndTurnsUnhealthy() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua"]).code == 0)
        let web = try #require(try h.status("shop").instances.first { $0.name == "web-1" })
        #expect(Harness.eventually(timeout: 5) { Harness.get("http://\(web.private_ip):8000/health") != nil } != nil)

        kill(try #require(web.agent_pid), SIGKILL)
        let appGone = Harness.eventually(timeout: 3) { Harness.get("http://\(web.private_ip):8000/health", timeout: 0.5) == nil }
        #expect(appGone != nil, "the app outlived its agent")
        // the heartbeat is 1 s: unhealthy within 3 heartbeats
        let marked = try Harness.eventually(timeout: 3.5) {
            try h.status("shop").instances.first { $0.name == "web-1" }?.health.hasPrefix("unhealthy: agent gone") == true
        }
        #expect(marked != nil)
        let others = try h.status("shop").instances.filter { $0.name != "web-1" }
        #expect(others.allSatisfy { $0.health == "healthy" })
    }

    @Test func destroyLeavesNoProcessAndReleasesEveryAddress() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua"]).code == 0)
        let shop = try h.status("shop")
        let agents = shop.instances.compactMap(\.agent_pid)
        #expect(agents.count == 4)
        let services = try shop.instances.flatMap { instance in
            Self.children(of: try #require(instance.agent_pid))
        }
        #expect(services.count >= 3, "each web agent runs its app")

        let refused = try h.recipe(["destroy", "shop"])
        #expect(refused.code != 0 && refused.stderr.contains("--yes"))
        #expect(agents.allSatisfy(Harness.isAlive))

        let destroyed = try h.recipe(["destroy", "shop", "--yes"])
        #expect(destroyed.code == 0, "\(destroyed.stderr)")
        #expect((agents + services).allSatisfy { !Harness.isAlive($0) })
        #expect(h.agentPIDs().isEmpty)
        let after = try h.recipe(["status", "shop", "--json"])
        #expect(after.code != 0 || !after.stdout.contains("\"ip\""))
        #expect(shop.addresses.allSatisfy { Harness.get("http://\($0.ip):8000/", timeout: 0.5) == nil })
    }

    static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let child = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }
    }
}
