import Foundation
import Testing

/// Issue 11, point 8: output that streams, and an event log you can narrow.
@Suite struct StreamingOutputTests {
    /// A recipe with one instance that runs a user command with a two-line output and an internal one.
    private static let recipe = """
        cluster "ev" { layers = { web = { count = 1 } } }
        local i = instance.list{ cluster = "ev" }[1]
        run(i, "true")
        run(i, "true", { internal = true })
        emit("app.ready", { cluster = "ev", subject = i.name, detail = "line one\\nline two" })
        """

    @Test func point8_followStreamsIntoAPipeOrFile() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let follower = try h.start(["events", "--follow"], log: "follow.log")
        defer { h.stop(follower) }
        #expect(try h.recipe(["run", try h.write("ev.lua", Self.recipe)]).code == 0)
        let log = h.home.appendingPathComponent("follow.log")
        let seen = Harness.eventually(timeout: 10) {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("app.ready")
        }
        #expect(seen != nil, "recipe events --follow wrote nothing while running: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    @Test func point8_outputAndErrorsKeepTheirOrderInOneFile() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let path = try h.write("order.lua", """
            cluster "order" { provider = "memory", layers = { web = { count = 1 } } }
            log.info("printed before the error")
            error("the error")
            """)
        let process = try h.start(["plan", path], log: "both.log")
        process.waitUntilExit()
        let both = try String(contentsOf: h.home.appendingPathComponent("both.log"), encoding: .utf8)
        let printed = try #require(both.range(of: "printed before the error"), "\(both)")
        let error = try #require(both.range(of: "the error", range: printed.upperBound..<both.endIndex), "\(both)")
        #expect(printed.lowerBound < error.lowerBound, "\(both)")
    }

    @Test func point8_eventsNarrowByKindInstanceActorSinceAndLimit() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", try h.write("ev.lua", Self.recipe)]).code == 0)
        func events(_ arguments: [String]) throws -> [Substring] {
            let output = try h.recipe(["events", "--cluster", "ev"] + arguments)
            #expect(output.code == 0, "\(output.stderr)")
            return output.stdout.split(separator: "\n")
        }
        // the tool's own commands are hidden unless asked for
        #expect(try events([]).contains { $0.contains("command.run") })
        #expect(!(try events([])).contains { $0.contains("command.internal") })
        #expect(try events(["--all"]).contains { $0.contains("command.internal") })
        // a family matches its kinds; an exact kind still matches
        let commands = try events(["--kind", "command"])
        #expect(commands.count == 2 && commands.allSatisfy { $0.contains("command.") }, "\(commands)")
        #expect(try events(["--kind", "command.run"]).count == 1)
        #expect(try events(["--kind", "instance"]).allSatisfy { $0.contains("instance.") })
        // an instance by name: its launch (recorded by id) and what ran on it
        let web = try events(["--instance", "web-1"])
        #expect(web.contains { $0.contains("instance.launched") } && web.contains { $0.contains("command.run") }, "\(web)")
        #expect(try events(["--instance", "web-9"]).isEmpty)
        #expect(try events(["--actor", "nobody"]).isEmpty)
        let me = "owner"  // the local CLI acts as the home's owner
        let mine = try events(["--actor", me])
        #expect(!mine.isEmpty && mine.allSatisfy { $0.hasSuffix("[\(me)]") }, "\(mine)")
        #expect(try events(["--since", "10m"]).count == (try events([])).count)
        // the newest N, oldest first
        let newest = try events(["--limit", "1"])
        #expect(newest.count == 1 && newest[0].contains("app.ready"), "\(newest)")
        // a multi-line detail stays on one table line; JSON keeps it whole
        #expect(newest[0].contains("line one\\nline two"))
        let json = try h.recipe(["events", "--cluster", "ev", "--kind", "app.ready", "--json"])
        #expect(json.stdout.contains("line one\\nline two") && json.stdout.split(separator: "\n").count == 1)
        #expect(try h.recipe(["events", "--since", "soon"]).code != 0)
    }

    @Test func point8_deployStepsAreTheToolsOwnCommands() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let run = try h.recipe(["run", "Examples/webapp/cluster.lua", "web=1"], timeout: 240)
        #expect(run.code == 0, "\(run.stderr)")
        let shown = try h.recipe(["events", "--kind", "command"]).stdout
        #expect(shown.contains("command.internal") && shown.contains("releases/"), "\(shown)")
        let plain = try h.recipe(["events"]).stdout
        #expect(!plain.contains("command.internal") && !plain.contains("releases/"), "\(plain)")
    }
}
