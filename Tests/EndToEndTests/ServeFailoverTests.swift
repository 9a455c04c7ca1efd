import Foundation
import Store
import Testing

/// Issue 16, point 2, on one machine's state: several `recipe serve`s on one home all serve the
/// API; the scheduler's singular work runs in the one that holds HOME/serve.lock, and a standby
/// takes it over when that one dies. Three rounds: 100 events pending, the leader kill -9ed,
/// the standby leads within seconds, and every event's hook has run exactly once.
@Suite struct ServeFailoverTests {
    @Test func aStandbyTakesTheSchedulerOverWhenTheLeaderIsKilledAndEveryHookRunsOnce() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let load = try PingLoad(h, cluster: "load")
        func start(_ log: String) throws -> Process { try h.start(["serve", load.hooks, "--listen", "127.0.0.1:0"], log: log) }
        var leader = try start("serve-0.log")
        #expect(Harness.eventually(timeout: 15) { h.logText("serve-0.log").contains("hosting") } != nil, "\(h.logText("serve-0.log"))")
        for round in 1...3 {
            let standby = try start("serve-\(round).log")
            let said = Harness.eventually(timeout: 15) {
                let log = h.logText("serve-\(round).log")
                return log.contains("standing by: pid \(leader.processIdentifier) runs the scheduler") && log.contains("API on")
            }
            #expect(said != nil, "round \(round): \(h.logText("serve-\(round).log"))")
            // the standby answers the API meanwhile
            let api = try #require(h.logText("serve-\(round).log").firstMatch(of: /API on (http:\/\/127\.0\.0\.1:\d+)/)?.output.1).description
            #expect(Harness.get(api + "/api/v1/openapi.json")?.contains("openapi") == true, "round \(round): the standby serves the API")

            #expect(try h.recipe(["run", load.emitter]).code == 0)
            usleep(300_000)
            h.stop(leader)
            let killed = Date()
            let took = Harness.eventually(timeout: 10) {
                (try? Store(home: h.home).events(kind: "serve.started").filter { $0.detail?.contains("took over from pid") == true }.count) ?? 0 >= round
            }
            #expect(took != nil, "round \(round): the standby never took over")
            print("serve failover round \(round): the standby leads \(String(format: "%.1f", Date().timeIntervalSince(killed))) s after the leader's kill -9")
            leader = standby

            let outcome = try PingLoad.outcome(try Store(home: h.home))
            #expect(outcome.pings == 100 * round)
            #expect(outcome.ended, "round \(round): every ping's hook ended")
            #expect(outcome.notOnce.isEmpty, "round \(round): \(outcome.notOnce.count) events ran other than once")
        }
        h.stop(leader)
    }

    @Test func statusNamesTheControllersAndWhichRunsTheScheduler() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let idle = try h.write("idle.lua", "-- hosts nothing\n")
        let first = try h.start(["serve", idle, "--listen", "127.0.0.1:0"], log: "a.log")
        #expect(Harness.eventually(timeout: 15) { h.logText("a.log").contains("API on") } != nil)
        let second = try h.start(["serve", idle, "--listen", "127.0.0.1:0"], log: "b.log")
        #expect(Harness.eventually(timeout: 15) { h.logText("b.log").contains("standing by") && h.logText("b.log").contains("API on") } != nil)
        // the CLI names both controllers and keeps working when the first is gone
        #expect(try h.recipe(["user", "add", "root", "--admin"]).code == 0)
        let token = try h.recipe(["token", "create", "root"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func api(_ log: String) throws -> String { try #require(h.logText(log).firstMatch(of: /API on (http:\/\/127\.0\.0\.1:\d+)/)?.output.1).description }
        let (a, b) = (try api("a.log"), try api("b.log"))
        let both = ["RECIPE_URL": "\(a),\(b)", "RECIPE_TOKEN": token]
        #expect(try h.recipe(["status"], environment: both).code == 0)
        let listed = try h.recipe(["status", "--controllers"])
        let lines = listed.stdout.split(separator: "\n").map(String.init)
        #expect(listed.code == 0 && lines.count == 3, "\(listed.stdout)\(listed.stderr)")
        #expect(lines.contains { $0.contains("pid \(first.processIdentifier)") && $0.contains("runs the scheduler") }, "\(listed.stdout)")
        #expect(lines.contains { $0.contains("pid \(second.processIdentifier)") && $0.contains("standing by") }, "\(listed.stdout)")
        h.stop(first)
        let read = try h.recipe(["status"], environment: both)
        #expect(read.code == 0, "a read goes to the second controller: \(read.stderr)")
        let recipe = try h.write("c.lua", #"cluster "c" { provider = { kind = "memory" }, layers = { web = { count = 1 } } }"#)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let change = try h.recipe(["emit", "c", "app.note", "--detail", "through the standby"], environment: both)
        #expect(change.code == 0, "a change whose first controller refused the connection goes to the next: \(change.stderr)")
        let noted = try h.recipe(["events", "--cluster", "c", "--kind", "app.note"]).stdout
        #expect(noted.contains("through the standby") && noted.split(separator: "\n").count == 1, "recorded once: \(noted)")
        let none = try h.recipe(["status"], environment: ["RECIPE_URL": a, "RECIPE_TOKEN": token])
        #expect(none.code == 1 && none.stderr.contains("cannot reach the controller at \(a): connection refused"), "\(none.stderr)")
        h.stop(second)
    }
}
