import Foundation
import PostgresState
import Store
import TestSupport
import Testing

/// Issue 16's acceptance on a real PostgreSQL: two `recipe serve`s share it (RECIPE_DATABASE_URL)
/// and the home; the one whose session holds the advisory lock runs the scheduler. Five rounds:
/// 100 events pending and a web agent just killed, the leader is killed -9; the standby leads
/// within 10 s, the instance is replaced, and every event's hook ran exactly once.
@Suite struct PostgresFailoverTests {
    @Test func theStandbyLeadsReplacesTheKilledInstanceAndRunsEveryHookOnceFiveTimes() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let h = try Harness()
        defer { h.cleanup() }
        let shared = ["RECIPE_DATABASE_URL": server.url]
        let cluster = try h.write("shop.lua", #"cluster "shop" { layers = { web = { count = 2, heal = true } } }"#)
        let load = try PingLoad(h, cluster: "shop")
        let run = try h.recipe(["run", cluster], environment: shared)
        #expect(run.code == 0, "\(run.stderr)")
        func start(_ log: String) throws -> Process {
            try h.start(["serve", load.hooks, "--listen", "127.0.0.1:0"], log: log, environment: shared)
        }
        var leader = try start("serve-0.log")
        #expect(Harness.eventually(timeout: 20) { h.logText("serve-0.log").contains("hosting") } != nil, "\(h.logText("serve-0.log"))")
        let database = try PostgresStateDatabase(url: try DatabaseURL(server.url), connections: 2)
        defer { database.close() }
        let store = try Store(home: h.home, shared: database)
        #expect(!FileManager.default.fileExists(atPath: h.home.appendingPathComponent("state.db").path), "nothing went to the home's SQLite file")

        #expect(try h.recipe(["user", "add", "root", "--admin"], environment: shared).code == 0)
        let token = try h.recipe(["token", "create", "root"], environment: shared).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func api(_ log: String) throws -> String { try #require(h.logText(log).firstMatch(of: /API on (http:\/\/127\.0\.0\.1:\d+)/)?.output.1).description }

        for round in 1...5 {
            let standby = try start("serve-\(round).log")
            let stands = Harness.eventually(timeout: 20) {
                let log = h.logText("serve-\(round).log")
                return log.contains("standing by: \(ProcessInfo.processInfo.hostName):\(leader.processIdentifier) runs the scheduler") && log.contains("API on")
            }
            #expect(stands != nil, "round \(round): \(h.logText("serve-\(round).log"))")
            let listed = try h.recipe(["status", "--controllers"], environment: shared).stdout
            #expect(listed.contains("pid \(leader.processIdentifier)") && listed.contains("runs the scheduler since"), "round \(round): \(listed)")

            let victim = try #require(try h.status("shop", environment: shared).instances.first { $0.name == "web-1" })
            #expect(try h.recipe(["run", load.emitter], environment: shared).code == 0)
            kill(try #require(victim.agent_pid, "round \(round): web-1 has an agent"), SIGKILL)
            usleep(200_000)
            #expect(leader.isRunning, "round \(round): the leader ran until killed: \(h.logText("serve-\(round - 1).log"))")
            let before = try store.events(kind: "serve.started").filter { $0.detail?.contains("took over from") == true }.count
            #expect(before == round - 1, "round \(round): no takeover before the kill: \(h.logText("serve-\(round).log"))")
            let killed = Date()
            h.stop(leader)
            let took = Harness.eventually(timeout: 10) {
                (try? store.events(kind: "serve.started").filter { $0.detail?.contains("took over from") == true }.count) ?? 0 >= round
            }
            #expect(took != nil, "round \(round): the standby never took over: \(h.logText("serve-\(round).log"))")
            print("postgres failover round \(round): the standby leads \(String(format: "%.1f", Date().timeIntervalSince(killed))) s after the leader's kill -9")
            // the CLI pointed at both goes on through the one that answers
            let through = try h.recipe(["status", "shop"], environment: ["RECIPE_URL": "\(try api("serve-\(round - 1).log")),\(try api("serve-\(round).log"))",
                                                                            "RECIPE_TOKEN": token])
            #expect(through.code == 0 && through.stdout.contains("web-2"), "round \(round): \(through.stderr)")
            leader = standby

            let replaced = Harness.eventually(timeout: 40) {
                guard let now = try? h.status("shop", environment: shared).instances.filter({ $0.name == "web-1" }) else { return false }
                return now.count == 1 && now[0].id != victim.id && now[0].state == "online"
            }
            #expect(replaced != nil, "round \(round): web-1 was not replaced: \((try? h.status("shop", environment: shared).instances.map { "\($0.name) \($0.id) \($0.state)" }) ?? [])")
            print("postgres failover round \(round): web-1 replaced \(String(format: "%.1f", Date().timeIntervalSince(killed))) s after the leader's kill -9")
            #expect(try h.status("shop", environment: shared).instances.count == 2, "round \(round): no instance left over")
            let failed = try store.events(kind: "instance.failed").compactMap(\.subject)
            #expect(failed.count == round, "round \(round): only the killed agents' instances failed, no agent missed its window: \(failed)")

            let outcome = try PingLoad.outcome(store)
            #expect(outcome.pings == 100 * round)
            #expect(outcome.ended, "round \(round): every ping's hook ended")
            #expect(outcome.notOnce.isEmpty, "round \(round): \(outcome.notOnce.count) events ran other than once")
        }
        #expect(try h.recipe(["destroy", "shop", "--yes"], environment: shared).code == 0)
        h.stop(leader)
    }
}

/// `recipe state migrate`: a home's SQLite state, copied into an empty PostgreSQL, is the same
/// state there (clusters, instances, events, users), and the next append follows on its ids.
@Suite struct StateMigrateTests {
    @Test func aHomeMovesToPostgreSQLWithItsClustersEventsAndUsers() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let h = try Harness()
        defer { h.cleanup() }
        let shared = ["RECIPE_DATABASE_URL": server.url]
        let recipe = try h.write("shop.lua", #"cluster "shop" { layers = { web = { count = 2 } } }"#)
        #expect(try h.recipe(["run", recipe]).code == 0)
        #expect(try h.recipe(["user", "add", "ops"]).code == 0)
        let note = try h.recipe(["emit", "shop", "app.note", "--detail", "before the move"])
        let noted = try #require(Int(note.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(note.stderr)")
        let before = try h.recipe(["events", "--cluster", "shop"]).stdout

        let moved = try h.recipe(["state", "migrate", "--from", "sqlite:\(h.home.path)", "--to", server.url])
        #expect(moved.code == 0 && moved.stdout.contains("events:") && moved.stdout.contains("copied"), "\(moved.stdout)\(moved.stderr)")
        #expect(try h.recipe(["events", "--cluster", "shop"], environment: shared).stdout == before, "the event log as it was")
        #expect(try h.status("shop", environment: shared).instances.map(\.name).sorted() == ["web-1", "web-2"])
        #expect(try h.recipe(["user", "list"], environment: shared).stdout.contains("ops"))
        let next = try h.recipe(["emit", "shop", "app.note", "--detail", "after the move"], environment: shared)
        #expect(next.code == 0 && Int(next.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > noted,
                "the next id follows the copied ones: \(next.stdout)\(next.stderr)")

        // into a database that holds a state already: refused, nothing written
        let again = try h.recipe(["state", "migrate", "--from", "sqlite:\(h.home.path)", "--to", server.url])
        #expect(again.code == 1 && again.stderr.contains("holds a state already"), "\(again.stderr)")
        #expect(try h.recipe(["events", "--cluster", "shop", "--kind", "app.note"], environment: shared).stdout.split(separator: "\n").count == 2)
        let bad = try h.recipe(["state", "migrate", "--from", h.home.path, "--to", server.url])
        #expect(bad.code != 0 && bad.stderr.contains("sqlite:HOME"), "\(bad.stderr)")
        #expect(try h.recipe(["destroy", "shop", "--yes"], environment: shared).code == 0)
    }
}
