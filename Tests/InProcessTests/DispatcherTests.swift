import Cloud
import Engine
import Foundation
import RecipeRuntime
@testable import Scheduler
import Store
import Testing

/// Events become hook runs once: the runs and the cursor are written in one transaction.
@Suite struct DispatcherTests {
    static let recipe = """
        cluster "shop" { provider = "memory", layers = { web = { count = 0 } } }
        on("instance.failed", function(e) log.info("failed " .. e.subject) end)
        on("deploy.*", function(e) error("no deploys today") end)
        """

    /// Hosts the recipe and hands the scheduler pieces to `body` while its VM runs.
    func hosting(_ f: Fixture, _ h: RecipeHarness,
                 _ body: @escaping @Sendable (Dispatcher, HookRegistry) async throws -> Void) async throws {
        let url = try h.write("hooks.lua", Self.recipe)
        let engine = f.engine
        try await h.runner().host(file: url) { hosted in
            let registry = HookRegistry()
            registry.attach(hosted)
            let executor = Executor(engine: engine, registry: registry)
            try await body(Dispatcher(store: engine.store, registry: registry, executor: executor, maxDepth: 8), registry)
        }
    }

    func event(_ f: Fixture, _ kind: String, _ subject: String, cluster: String = "shop") throws -> Int64 {
        try f.store.record(Event(actor: "test", cluster: cluster, kind: kind, subject: subject)).id!
    }

    @Test func eachMatchingEventIsDispatchedOnceWithItsCursor() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let h = RecipeHarness(fixture: f)
        let failed1 = try event(f, "instance.failed", "web-1")
        _ = try event(f, "instance.online", "web-2")
        _ = try event(f, "instance.failed", "db-1", cluster: "elsewhere")
        let failed2 = try event(f, "instance.failed", "web-2")
        try await hosting(f, h) { dispatcher, _ in
            let (cursor, read) = try await dispatcher.dispatch(after: 0)
            #expect(read == 4 && cursor == failed2)
            #expect(try f.store.schedulerState(Dispatcher.cursorKey) == String(failed2))
            #expect(try f.store.hookRuns().compactMap(\.eventID).sorted() == [failed1, failed2], "only this recipe's cluster, only its kind")
            #expect(try await dispatcher.dispatch(after: cursor).read == 0)
            // a dispatcher that died before it kept its cursor reads the same events again: no run twice
            _ = try await dispatcher.dispatch(after: 0)
            #expect(try f.store.hookRuns().count == 2)
            let done = try await eventually { try f.store.hookRuns().allSatisfy { $0.state == .ok } }
            let states = try f.store.hookRuns().map(\.state)
            #expect(done, "\(states)")
        }
        #expect(h.logged.sorted() == ["failed web-1", "failed web-2"])
    }

    @Test func aFailingHookIsRecordedWithItsRecipeLine() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let h = RecipeHarness(fixture: f)
        let deploy = try event(f, "deploy.started", "shop")
        try await hosting(f, h) { dispatcher, _ in
            _ = try await dispatcher.dispatch(after: 0)
            let failed = try await eventually { try f.store.hookRuns(eventID: deploy).first?.state == .failed }
            #expect(failed)
        }
        let run = try #require(try f.store.hookRuns(eventID: deploy).first)
        #expect(run.error?.contains("hooks.lua:3: no deploys today") == true, "\(run.error ?? "")")
        #expect(try f.events("hook.failed").count == 1)
    }

    @Test func theRegistryMatchesPatternsAndScope() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await hosting(f, RecipeHarness(fixture: f)) { _, registry in
            #expect(registry.matching(kind: "deploy.finished", cluster: "shop").count == 1)
            #expect(registry.matching(kind: "deployed", cluster: "shop").isEmpty)
            #expect(registry.matching(kind: "instance.failed", cluster: "other").isEmpty)
            #expect(registry.matching(kind: "instance.failed", cluster: nil).isEmpty)
        }
    }
}
