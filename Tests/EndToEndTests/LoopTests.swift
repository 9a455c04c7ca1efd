import Foundation
import Store
import Testing

/// Event loops are bounded (issue 18, point 5): a hook that emits into its own family stops at
/// `--max-hook-depth` with a `hook.loop` naming the chain, and a cluster's hooks are held to
/// `--emit-rate` events a second, what is dropped counted once a second.
@Suite struct LoopTests {
    func stateBytes(_ h: Harness) -> Int {
        ["state.db", "state.db-wal"].reduce(0) { total, name in
            let path = h.home.appendingPathComponent(name).path
            return total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
    }

    @Test func theSelfFeedingHookStopsAtDepth8WithAHookLoopEvent() throws {
        let h = try Harness()
        defer { h.cleanup() }
        // the bug report's hook: it emits into its own family (12,846 events in 38 s, unbounded)
        let hooks = try h.write("loop.lua", """
            on("loop.*", function(e) emit("loop.tick", { cluster = "loop", detail = "after " .. e.id }) end)
            """)
        let seed = try h.write("seed.lua", """
            emit("loop.start", { cluster = "loop" })
            """)
        let serve = try h.serve([hooks])
        let before = stateBytes(h)
        #expect(try h.recipe(["run", seed]).code == 0)
        let store = try Store(home: h.home)
        #expect(Harness.eventually(timeout: 20) { ((try? store.events(kind: "hook.loop").count) ?? 0) >= 1 } != nil)
        sleep(3)  // and nothing more comes
        let ticks = try store.events(kind: "loop.tick")
        let start = try #require(try store.events(kind: "loop.start").first)
        #expect(ticks.count == 8, "the start (depth 0) and 8 ticks, depths 1 to 8: \(ticks.count) ticks")
        #expect(ticks.map(\.depth) == Array(1...8))
        // each names the run that emitted it and the event that run was on
        var previous = start.id
        for tick in ticks {
            #expect(tick.causeEvent == previous && tick.causeRun != nil)
            previous = tick.id
        }
        let loops = try store.events(kind: "hook.loop")
        #expect(loops.count == 1)
        let loop = try #require(loops.first)
        #expect(loop.subject?.hasSuffix("loop.lua#on:loop.*#1") == true)
        let chain = "loop.start #\(start.id!) → run "
        #expect(loop.detail?.hasPrefix(chain) == true && loop.detail?.hasSuffix("→ loop.tick refused") == true, "\(loop.detail ?? "")")
        for tick in ticks { #expect(loop.detail?.contains("loop.tick #\(tick.id!) → run ") == true) }
        #expect(loop.result.contains("deeper than 8"))
        #expect(stateBytes(h) - before < 1 << 20, "state grew by \(stateBytes(h) - before) bytes")
        let runs = try store.hookRuns(limit: 1000).filter { $0.hook.hasSuffix("#on:loop.*#1") }
        #expect(runs.count == 9 && runs.allSatisfy { $0.state == .ok }, "\(runs.map(\.state.rawValue))")

        // the cause, as a user reads it
        let json = try h.recipe(["events", "--kind", "loop", "--json"])
        let last = try #require(json.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(object["causeEvent"] as? Int == Int(ticks[6].id!) && object["depth"] as? Int == 8 && object["causeRun"] is Int)
        let text = try h.recipe(["events", "--kind", "loop"])
        #expect(text.stdout.contains("[recipe, run \(ticks[7].causeRun!) on #\(ticks[6].id!)]"), "\(text.stdout)")
        h.stop(serve)
    }

    /// Not only emit: a hook on hook.failed that fails feeds itself through the scheduler's own
    /// events, and the dispatcher cuts that chain at the same depth.
    @Test func aFailingHookOnHookFailedStopsAtTheDepthToo() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let hooks = try h.write("fails.lua", """
            on("app.go", function(e) error("first") end)
            on("hook.failed", function(e) error("again") end)
            """)
        let seed = try h.write("seed.lua", "emit(\"app.go\", { cluster = \"fails\" })\n")
        let serve = try h.serve([hooks])
        #expect(try h.recipe(["run", seed]).code == 0)
        let store = try Store(home: h.home)
        #expect(Harness.eventually(timeout: 30) { ((try? store.events(kind: "hook.loop").count) ?? 0) >= 1 } != nil)
        sleep(2)
        let failed = try store.events(kind: "hook.failed")
        #expect(failed.map(\.depth) == Array(1...9), "\(failed.map(\.depth))")
        let loop = try #require(try store.events(kind: "hook.loop").first)
        #expect(loop.subject?.hasSuffix("fails.lua#on:hook.failed#1") == true, "\(loop.subject ?? "")")
        #expect(loop.detail?.hasSuffix("hook.failed #\(failed.last!.id!) refused") == true, "\(loop.detail ?? "")")
        #expect(try store.events(kind: "hook.loop").count == 1)
        h.stop(serve)
    }

    /// A log line is a hook.log event caused by the run that logged it: a hook on hook.log that
    /// logs is cut at the depth too.
    @Test func aHookThatLogsOnHookLogStopsAtTheDepth() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let hooks = try h.write("echo.lua", """
            on("echo.go", function(e) log.info("first") end)
            on("hook.log", function(e) log.info("again") end)
            """)
        let seed = try h.write("seed.lua", "emit(\"echo.go\", { cluster = \"echo\" })\n")
        let serve = try h.serve([hooks])
        #expect(try h.recipe(["run", seed]).code == 0)
        let store = try Store(home: h.home)
        #expect(Harness.eventually(timeout: 30) { ((try? store.events(kind: "hook.loop").count) ?? 0) >= 1 } != nil)
        sleep(2)  // and nothing more comes
        let lines = try store.events(kind: "hook.log")
        #expect(lines.map(\.depth) == Array(1...9), "\(lines.map(\.depth))")
        #expect(try store.events(kind: "hook.loop").count == 1)
        h.stop(serve)
    }

    @Test func theDepthIsSettable() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let hooks = try h.write("loop.lua", """
            on("loop.tick", function(e) emit("loop.tick", { cluster = "loop" }) end)
            """)
        let seed = try h.write("seed.lua", "emit(\"loop.tick\", { cluster = \"loop\" })\n")
        let serve = try h.serve([hooks, "--max-hook-depth", "3"])
        #expect(try h.recipe(["run", seed]).code == 0)
        let store = try Store(home: h.home)
        #expect(Harness.eventually(timeout: 20) { ((try? store.events(kind: "hook.loop").count) ?? 0) >= 1 } != nil)
        sleep(1)
        #expect(try store.events(kind: "loop.tick").map(\.depth) == [0, 1, 2, 3])
        #expect(try store.events(kind: "hook.loop").first?.result.contains("deeper than 3") == true)
        h.stop(serve)
        let refused = try h.recipe(["serve", "--max-hook-depth", "0"])
        #expect(refused.code != 0 && refused.stderr.contains("--max-hook-depth must be 1 or more"), "\(refused.stderr)")
    }

    @Test func aClustersHooksAreHeldToTheEmitRateAndTheDropsAreCountedOnceASecond() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let hooks = try h.write("flood.lua", """
            on("flood.go", function(e)
              local dropped, last_why = 0, nil
              for i = 1, 1000 do
                local id, why = emit("flood.item", { cluster = "flood", detail = tostring(i) })
                if not id then dropped = dropped + 1; last_why = why end
              end
              log.info("dropped %d: %s", dropped, last_why or "")
            end)
            """)
        let seed = try h.write("seed.lua", "emit(\"flood.go\", { cluster = \"flood\" })\n")
        let serve = try h.serve([hooks, "--emit-rate", "100"])
        #expect(try h.recipe(["run", seed]).code == 0)
        let store = try Store(home: h.home)
        #expect(Harness.eventually(timeout: 30) {
            (try? store.hookRuns(limit: 10).contains { $0.hook.hasSuffix("#on:flood.go#1") && $0.state == .ok }) == true
        } != nil)
        sleep(2)  // the last second's count
        let items = try store.events(kind: "flood.item").count
        let throttled = try store.events(kind: "hook.throttled")
        let dropped = throttled.compactMap { Int($0.detail?.split(separator: " ").first ?? "") }.reduce(0, +)
        #expect(items >= 100 && items < 1000, "\(items) of 1000 emitted, at 100 a second")
        #expect(dropped == 1000 - items, "hook.throttled counts what was dropped: \(throttled.map { $0.detail ?? "" })")
        #expect(throttled.allSatisfy { $0.cluster == "flood" && $0.result.contains("over 100 events a second") })
        // one a second at most
        let times = throttled.map(\.time.timeIntervalSince1970)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 > 0.5 }, "\(times)")
        let log = try String(contentsOf: h.home.appendingPathComponent("serve.log"), encoding: .utf8)
        #expect(log.contains("dropped \(1000 - items): emit: flood.item dropped: cluster flood's hooks emit more than 100 events a second"), "\(log)")
        h.stop(serve)
    }
}
