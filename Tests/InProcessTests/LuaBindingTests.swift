import Cloud
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Testing

/// Recipes run through RecipeRunner on the memory provider: what they declare and call reaches it.
@Suite struct LuaBindingTests {
    @Test func aClusterDeclaredWithProviderMemoryIsBuiltThere() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let summary = try await RecipeHarness(fixture: f).run(RecipeHarness.cluster)
        #expect(summary.clusters == ["shop"])
        #expect(summary.reports["shop"]?.online == ["web-1", "web-2"])
        #expect(try await f.instances().map(\.name) == ["web-1", "web-2"])
        #expect(try f.store.cluster("shop")?.provider == "memory")
    }

    @Test func instanceListSeesTheDeclaredInstances() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let h = RecipeHarness(fixture: f)
        try await h.run(RecipeHarness.cluster + """
            local list = instance.list{ cluster = "shop", layer = "web" }
            log.info("%d %s %s", #list, list[1].name, list[2].state)
            """)
        #expect(h.logged == ["2 web-1 online"])
    }

    @Test func stopFromLuaRunsTheShutdownHookAndStopsTheInstance() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let h = RecipeHarness(fixture: f)
        try await h.run("""
            cluster "shop" { provider = "memory", layers = { web = { count = 1,
              on = { shutdown = function(e) run(e.instance, "echo bye " .. e.reason) end } } } }
            local i = instance.list{ cluster = "shop" }[1]
            i:stop()
            log.info(i.state)
            """)
        #expect(h.logged == ["stopped"])
        #expect(try await f.instance("web-1").state == .stopped)
        #expect(f.memory.commands.map(\.command) == ["echo bye stopping"])
    }

    @Test func volumesAndSnapshotsFromLua() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let h = RecipeHarness(fixture: f)
        try await h.run(RecipeHarness.cluster + """
            local v = volume.create{ name = "scratch", size_gb = 3 }
            local s = v:snapshot()
            local all = snapshot.list{ cluster = "shop" }
            log.info("%d %s %d", #all, all[1].volume_id == v.id and "same" or "other", all[1].size_gb)
            """)
        #expect(h.logged == ["1 same 3"])
        let scratch = try await f.memory.describe(cluster: "shop").volumes.first { $0.name == "scratch" }
        #expect(scratch?.sizeGB == 3)
    }

    @Test func runReachesTheProviderAndReturnsItsAnswer() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        f.memory.respond { instance, command in CommandResult(code: 0, stdout: "\(instance.name): \(command)", stderr: "") }
        let h = RecipeHarness(fixture: f)
        try await h.run(RecipeHarness.cluster + """
            local r = run(instance.list{ cluster = "shop" }[2], "uptime")
            log.info("%d %s", r.code, r.stdout)
            """)
        #expect(h.logged == ["0 web-2: uptime"])
        let web2 = try await f.instance("web-2")
        #expect(f.memory.commands.map { "\($0.instance) \($0.command)" } == ["\(web2.id) uptime"])
    }

    @Test func layerHooksRunInTheRecipesVMInLifecycleOrder() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await RecipeHarness(fixture: f).run("""
            cluster "shop" { provider = "memory", layers = { web = { count = 1, on = {
              setup = function(e) run(e.instance, "setup " .. e.instance.name) end,
              configure = function(e) run(e.instance, "configure " .. e.reason) end,
            } } } }
            """)
        #expect(f.memory.commands.map(\.command) == ["setup web-1", "configure membership"])
    }

    @Test func planModeComputesThePlanAndLaunchesNothing() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let summary = try await RecipeHarness(fixture: f).run(RecipeHarness.cluster, mode: .plan)
        #expect(summary.plans["shop"]?.adds == 2)
        #expect(summary.changes)
        #expect(try await f.instances().isEmpty)
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var source: String
        var line: Int
        var says: String
        var mode: RecipeOptions.Mode = .apply
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown-instance", source: RecipeHarness.cluster + "local i = instance.get(\"i-nope\")\n", line: 2,
             says: "instance i-nope does not exist"),
        Case(name: "unknown-provider", source: "\ncluster \"shop\" { provider = \"nowhere\", layers = {} }\n", line: 2,
             says: "provider 'nowhere' is not known (memory)"),
        Case(name: "bad-subnet", source: "\ncluster \"shop\" { provider = { kind = \"memory\", subnet = \"sn-1\" }, layers = {} }\n", line: 2,
             says: "cluster shop: provider.subnet 'sn-1' is not a subnet id (expected subnet- and 8 to 17 hex digits"),
        Case(name: "volume-size", source: RecipeHarness.cluster + "\nvolume.create{ size_gb = 0 }\n", line: 3, says: "size_gb"),
        Case(name: "change-in-plan", source: RecipeHarness.cluster + "volume.create{ size_gb = 1 }\n", line: 2,
             says: "volume.create changes state: not run by plan or --dry-run", mode: .plan),
        Case(name: "no-cluster", source: "-- nothing declared\nvolume.create{ size_gb = 1 }\n", line: 2, says: "no cluster given"),
    ]

    @Test(arguments: cases)
    func errorsNameTheRecipeFileAndLine(_ c: Case) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let error = await #expect(throws: LuaError.self) {
            try await RecipeHarness(fixture: f).run(c.source, file: "\(c.name).lua", mode: c.mode)
        }
        let message = error?.message ?? ""
        #expect(message.contains("\(c.name).lua:\(c.line): "), "\(message)")
        #expect(message.contains(c.says), "\(message)")
    }
}
