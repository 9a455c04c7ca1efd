import Foundation
import Store
import Testing
import TestSupport

/// Issue 12, point 1: a command that changes a cluster holds its lock, as Terraform's state lock.
/// A second one is refused naming the holder (or waits with --lock-timeout); a dead holder's lock
/// is broken by the next command, which says so; no instance is ever left that status does not list.
@Suite struct LockTests {
    /// `recipe ARGS` started in the background; wait for it with `finish`.
    struct Started {
        let process: Process
        let log: URL

        func finish(timeout: Double = 120) -> (code: Int32, output: String) {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
    }

    func start(_ h: Harness, _ arguments: [String], log: String) throws -> Started {
        Started(process: try h.start(arguments, log: log), log: h.home.appendingPathComponent(log))
    }

    /// Every agent of the home is an instance `recipe status` lists.
    func untracked(_ h: Harness, _ cluster: String) throws -> [pid_t] {
        let listed = Set(try h.status(cluster).instances.compactMap(\.agent_pid))
        return h.agentPIDs().filter { !listed.contains($0) }
    }

    static let five = """
        cluster "five" {
          layers = { web = { count = 5, on = { setup = function(e) run(e.instance, "sleep 1") end } } },
        }
        """

    @Test func twoRunsAtOnceMakeFiveInstancesAndTheLoserNamesTheHolder() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("five.lua", Self.five)
        let first = try start(h, ["run", recipe], log: "first.log")
        let second = try start(h, ["run", recipe], log: "second.log")
        let results = [first.finish(), second.finish()]
        #expect(results.map(\.code).sorted() == [0, 1], "\(results)")
        let loser = try #require(results.first { $0.code == 1 })
        #expect(loser.output.contains("cluster five is locked by 'recipe run \(recipe)' (pid "), "\(loser.output)")
        #expect(!loser.output.contains("SQLite error"), "\(loser.output)")
        #expect(try h.status("five").instances.count == 5)
        #expect(try untracked(h, "five").isEmpty, "every agent of the home is listed")
        #expect(try Store(home: h.home).locks().isEmpty, "the winner let go of the lock")
    }

    @Test func aDeployDuringARunIsRefusedAndWaitsWithALockTimeout() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let app = Harness.repo.appendingPathComponent("Examples/webapp/app").path
        let recipe = try h.write("slow.lua", """
            cluster "slow" {
              apps = { shop = { source = "file:\(app)", start = "python3 server.py", port = 8000 } },
              layers = { web = { count = arg.web or 1, apps = { "shop" },
                                 on = { setup = function(e) run(e.instance, "sleep 3") end } } },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let run = try start(h, ["run", recipe, "web=2"], log: "run.log")
        let holding = Harness.eventually(timeout: 10) { ((try? Store(home: h.home).locks()) ?? []).contains { $0.cluster == "slow" } }
        #expect(holding != nil, "the run holds the cluster's lock")
        let refused = try h.recipe(["deploy", "slow", "shop"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("cluster slow is locked by 'recipe run \(recipe) web=2' (pid \(run.process.processIdentifier) on "),
                "\(refused.stderr)")
        let waited = try h.recipe(["deploy", "slow", "shop", "--lock-timeout", "60"])
        #expect(waited.code == 0, "it waits for the run, then deploys: \(waited.stderr)")
        #expect(run.finish().code == 0)
        #expect(try h.status("slow").instances.count == 2)
    }

    @Test func aKilledHoldersLockIsBrokenByTheNextCommandWhichSaysSo() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("five.lua", Self.five)
        let run = try start(h, ["run", recipe], log: "run.log")
        let launched = Harness.eventually(timeout: 20) {
            ((try? Store(home: h.home).locks()) ?? []).contains { $0.cluster == "five" } && h.agentPIDs().count >= 5
        }
        #expect(launched != nil, "the run holds the lock and has launched")
        kill(run.process.processIdentifier, SIGKILL)
        _ = run.finish()
        #expect(try untracked(h, "five").isEmpty, "what the killed run launched is on record")

        let next = try h.recipe(["run", recipe])
        #expect(next.code == 0, "\(next.stderr)")
        #expect(next.stderr.contains("broke the stale lock of cluster five: its holder 'recipe run \(recipe)' (pid \(run.process.processIdentifier)"),
                "\(next.stderr)")
        #expect(try Store(home: h.home).events(kind: "lock.broken").count == 1)
        #expect(try h.status("five").instances.count == 5)
        #expect(try untracked(h, "five").isEmpty)
    }
}
