import Cloud
import Engine
import Foundation
import Store
import Testing

/// `Engine.logs` on the memory provider: a hook run keeps what it logged and the commands it ran
/// with their output, a command its output and exit code; queries narrow by instance, kind, time
/// and count; a follower gets only what is new; unknown names are refused by name.
@Suite struct LogsTests {
    static let recipe = """
        cluster "shop" { provider = "memory", layers = { web = { count = 2, on = {
          configure = function(e)
            log.info("configuring %s", e.instance.name)
            local r = run(e.instance, "hostname", { internal = true })
            log.info("it is %s", r.stdout)
            if e.instance.name == "web-2" then run(e.instance, "false") ; error("web-2 refuses") end
          end,
        } } } }

        """

    func fixture() async throws -> Fixture {
        let f = try Fixture()
        f.memory.respond { instance, command in
            command == "false" ? CommandResult(code: 1, stdout: "", stderr: "no luck\n")
                : CommandResult(code: 0, stdout: "\(instance.name)-host\n", stderr: "")
        }
        _ = try? await RecipeHarness(fixture: f).run(Self.recipe)
        return f
    }

    @Test func aHookRunKeepsItsLinesAndCommandsAndACommandItsOutput() async throws {
        let f = try await fixture()
        defer { f.cleanup() }
        let hooks = try await f.engine.logs(cluster: "shop", kinds: [.hook])
        #expect(hooks.map(\.instance) == ["web-1", "web-2"] || hooks.map(\.instance) == ["web-2", "web-1"])
        let web1 = try #require(hooks.first { $0.instance == "web-1" })
        #expect(web1.source == "configure" && web1.result == "ok")
        #expect(web1.text == "[info] configuring web-1\n$ hostname\nweb-1-host\n[info] it is web-1-host\n", "\(web1.text)")
        let web2 = try #require(hooks.first { $0.instance == "web-2" })
        #expect(web2.text.hasSuffix("$ false\nno luck\nexit 1\n"), "\(web2.text)")
        #expect(web2.result?.hasPrefix("failed: ") == true && web2.result?.contains("recipe.lua:6: web-2 refuses") == true,
                "\(web2.result ?? "nil")")

        // the tool's own command (internal) is in its hook's log only; the user's has its own entry
        let commands = try await f.engine.logs(cluster: "shop", kinds: [.command])
        #expect(commands.map(\.source) == ["false"] && commands.map(\.exitCode) == [1] && commands.map(\.text) == ["no luck\n"])
        #expect(commands.first?.instanceID == (try await f.instance("web-2")).id)
    }

    @Test func queriesNarrowByInstanceKindTimeAndCount() async throws {
        let f = try await fixture()
        defer { f.cleanup() }
        let web2 = try await f.instance("web-2")
        let byName = try await f.engine.logs(cluster: "shop", instance: "web-2")
        #expect(byName.map(\.kind) == [.command, .hook], "the command ended before its hook")
        #expect(try await f.engine.logs(cluster: "shop", instance: web2.id) == byName)
        #expect(try await f.engine.logs(cluster: "shop", limit: 1).map(\.kind) == [.hook])
        #expect(try await f.engine.logs(cluster: "shop", since: Date().addingTimeInterval(60)).isEmpty)
        #expect(try await f.engine.logs(cluster: "shop", kinds: [.deploy]).isEmpty)
        #expect(try await f.engine.logs(cluster: "shop", kinds: [.service]).isEmpty, "the memory provider reads no service output")

        // a follower's next page holds only what came after its cursor
        let page = try await f.engine.logPage(LogQuery(cluster: "shop", instance: "web-1"))
        #expect(page.entries.count == 1 && page.warnings.isEmpty)
        _ = try await f.engine.run(on: web2.id, command: "echo elsewhere")
        _ = try await f.engine.run(on: try await f.instance("web-1").id, command: "echo here")
        let next = try await f.engine.logPage(LogQuery(cluster: "shop", instance: "web-1"), from: page.cursor)
        #expect(next.entries.map(\.source) == ["echo here"] && next.entries.map(\.text) == ["web-1-host\n"])
        #expect(try await f.engine.logPage(LogQuery(cluster: "shop"), from: next.cursor).entries.isEmpty)
    }

    @Test func unknownNamesAreRefusedByName() async throws {
        let f = try await fixture()
        defer { f.cleanup() }
        let cluster = await #expect(throws: CloudError.self) { try await f.engine.logs(cluster: "nowhere") }
        #expect(cluster?.message == "no cluster named nowhere")
        let instance = await #expect(throws: CloudError.self) { try await f.engine.logs(cluster: "shop", instance: "web-9") }
        #expect(instance?.message == "cluster shop has no instance web-9 (instances: web-1, web-2)")
    }
}
