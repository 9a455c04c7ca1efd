import Cloud
import Engine
import Foundation
import RecipeRuntime
@testable import Scheduler
import Store
import Testing

/// when{} thresholds decided from the memory provider's samples: sustain, then cooldown.
@Suite struct AlarmTests {
    static let recipe = """
        when { cluster = "shop", layer = "web", metric = "cpu", stat = "avg", above = 70,
               sustain = "20s", cooldown = "60s" } (function(alarm) log.info("alarm " .. alarm.detail) end)
        """

    /// A converged web layer of two, the alarm loaded, and `body` given the alarms and the instance ids.
    func withAlarm(_ f: Fixture, _ h: RecipeHarness, _ body: @escaping @Sendable (Alarms, [String]) async throws -> Void) async throws {
        _ = try await f.engine.converge(memorySpec(layers: [LayerSpec(name: "web", count: 2)]))
        let ids = try await f.instances().map(\.id)
        let engine = f.engine
        try await h.runner().host(file: try h.write("alarm.lua", Self.recipe)) { hosted in
            let registry = HookRegistry()
            registry.attach(hosted)
            let alarms = Alarms(engine: engine, executor: Executor(engine: engine, registry: registry))
            await alarms.load(hosted.alarms, replacing: [])
            try await body(alarms, ids)
        }
    }

    func fired(_ f: Fixture) throws -> [Event] { try f.events("alarm.fired") }

    @Test func anAlarmFiresOnceTheBreachIsSustainedThenStaysQuietForItsCooldown() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let h = RecipeHarness(fixture: f)
        let t0 = f.now
        try await withAlarm(f, h) { alarms, ids in
            for id in ids { f.memory.put(metric: "cpu", instance: id, value: 90, at: t0) }
            await alarms.check(now: t0)
            await alarms.check(now: t0 + 10)
            #expect(try fired(f).isEmpty, "10 s of 20")
            await alarms.check(now: t0 + 20)
            #expect(try fired(f).count == 1)
            for s in stride(from: 30.0, through: 70, by: 10) { await alarms.check(now: t0 + s) }
            #expect(try fired(f).count == 1, "cooldown")
            await alarms.check(now: t0 + 80)
            await alarms.check(now: t0 + 100)
            #expect(try fired(f).count == 2, "breached again for 20 s after the cooldown")
            let event = try #require(try fired(f).first)
            #expect(event.subject == "web" && event.detail?.hasPrefix("avg cpu 90.00 > 70.0 for 20 s") == true, "\(event.detail ?? "")")
            #expect(try f.store.hookRuns(eventID: event.id).map(\.trigger) == ["alarm"])
            #expect(await eventually { h.logged.count == 2 })
        }
    }

    @Test func aDipUnderTheThresholdStartsTheSustainAgain() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let t0 = f.now
        try await withAlarm(f, RecipeHarness(fixture: f)) { alarms, ids in
            for id in ids { f.memory.put(metric: "cpu", instance: id, value: 90, at: t0) }
            await alarms.check(now: t0)
            for id in ids { f.memory.put(metric: "cpu", instance: id, value: 0, at: t0 + 10) }
            await alarms.check(now: t0 + 10)
            await alarms.check(now: t0 + 20)
            await alarms.check(now: t0 + 30)
            let fires = try fired(f)
            #expect(fires.isEmpty, "the average fell to 45")
        }
    }

    @Test func noSamplesNeverFire() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let t0 = f.now
        try await withAlarm(f, RecipeHarness(fixture: f)) { alarms, _ in
            for s in stride(from: 0.0, through: 60, by: 10) { await alarms.check(now: t0 + s) }
            let fires = try fired(f)
            #expect(fires.isEmpty)
        }
    }

    @Test func samplesOfAStoppedInstanceDoNotCount() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let t0 = f.now
        try await withAlarm(f, RecipeHarness(fixture: f)) { alarms, ids in
            f.memory.put(metric: "cpu", instance: ids[0], value: 100, at: t0)
            f.memory.put(metric: "cpu", instance: ids[1], value: 10, at: t0)
            try await f.engine.stop(instance: ids[1])
            for s in stride(from: 0.0, through: 20, by: 10) { await alarms.check(now: t0 + s) }
            #expect(try fired(f).count == 1, "the online instance alone is at 100")
        }
    }
}
