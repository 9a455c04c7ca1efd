import EC2
import Foundation
import Store
import TestSupport
import Testing

/// Issue 16, point 2, for agents: an EC2 instance launched while two `recipe serve`s answer
/// agents knows both. The leader is killed -9: the agent goes on with the standby without
/// missing a heartbeat window (its instance is never found silent), commands reach it through
/// the standby, and when its agent is then killed, the new leader replaces the instance. Once on
/// the home's SQLite (the lead is serve.lock) and once on PostgreSQL (the lead is the advisory lock).
extension AgentLinkTests {
    @Test(arguments: [false, true]) func anAgentGoesOnWithTheStandbyWhenItsControllerIsKilled(postgres: Bool) async throws {
        let fleet = try await Fleet(postgres: postgres)
        defer { fleet.stop() }
        let (environment, h, machines) = (fleet.environment, fleet.h, fleet.machines)
        let (store, close) = try fleet.store()
        defer { close() }
        let standby = try h.start(["serve", "--listen", "127.0.0.1:0"], log: "standby.log", environment: environment)
        defer { h.stop(standby) }
        let ready = Harness.eventually(timeout: 15) {
            let log = h.logText("standby.log")
            return log.contains("standing by") && log.contains("API on") && ((try? store.controllers().count) ?? 0) == 2
        }
        #expect(ready != nil, "\(h.logText("standby.log"))")
        let leaderURL = try ControllerTests.apiURL(h)
        let standbyURL = try #require(h.logText("standby.log").firstMatch(of: /API on (http:\/\/127\.0\.0\.1:\d+)/)?.output.1).description

        let recipe = try h.write("pair.lua", """
            cluster "pair" {
              provider = "ec2",
              layers = { web = { count = 1, image = "ami-12c6146b", heal = { after = "1s" }, heartbeat = "1s",
                                 on = { setup = function(e) run(e.instance, "touch set-up") end } } },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: environment)
        #expect(run.code == 0, "\(run.stdout)\n\(run.stderr)")
        let instance = try #require(machines.bootedInstances.first)
        let userData = try String(contentsOf: machines.root(of: instance).appendingPathComponent("user-data"), encoding: .utf8)
        #expect(userData.contains("--controller '\(leaderURL),\(standbyURL)'"), "the leader first, then the standby: \(userData)")
        #expect(machines.agentLog(instance).contains("registered with \(leaderURL)"), "\(machines.agentLog(instance))")

        h.stop(fleet.serve)
        let killed = Date()
        let tookOver = Harness.eventually(timeout: 10) {
            // the leader is named "pid N" by serve.lock, "HOST:N" by PostgreSQL's lease
            (try? store.events(kind: "serve.started"))?.contains {
                let pid = fleet.serve.processIdentifier
                return $0.detail.map { $0.contains("took over from pid \(pid) after") || $0.contains(":\(pid) after") } == true
            } == true
        }
        #expect(tookOver != nil, "\(h.logText("standby.log"))")
        let switched = Harness.eventually(timeout: 10) { machines.agentLog(instance).contains("on with the controller at \(standbyURL)") }
        #expect(switched != nil, "\(machines.agentLog(instance))")
        let beats = Date().timeIntervalSince(killed)
        let engine = postgres ? "postgres" : "sqlite"
        print("agent failover [\(engine)]: the standby leads \(String(format: "%.1f", tookOver ?? -1)) s and the agent beats through it \(String(format: "%.1f", switched == nil ? -1 : beats)) s after the leader's kill -9")
        // three windows of 1 s heartbeats and more: the new leader watches the agent, and finds it alive
        sleep(6)
        let failed = try store.events(cluster: "pair", kind: "instance.failed")
        #expect(failed.isEmpty, "the agent missed no heartbeat window: \(failed.map { "\($0.subject ?? "") \($0.detail ?? "")" })")
        let id = try store.enqueueCommand(instance: instance, command: "echo through the standby", timeout: 30)
        let done = Harness.eventually(timeout: 20) { (try? store.command(id))?.state == .done }
        let ran = try store.command(id)
        #expect(done != nil && ran?.stdout == "through the standby\n", "a command reaches the agent through the standby")

        // the agent killed now: the new leader finds it silent and replaces its instance
        machines.kill(instance)
        let replaced = Harness.eventually(timeout: 60) {
            machines.bootedInstances.contains { $0 != instance && FileManager.default.fileExists(atPath: machines.root(of: $0).appendingPathComponent("set-up").path) }
        }
        let events = try h.recipe(["events", "--cluster", "pair"], environment: environment).stdout
        #expect(replaced != nil, "events:\n\(events)\nstandby:\n\(h.logText("standby.log").suffix(3000))")
        print("agent failover [\(engine)]: the killed agent's instance replaced by the new leader \(String(format: "%.1f", Date().timeIntervalSince(killed))) s after the first kill")
    }
}
