import Foundation
import Testing
@testable import LuaKit

extension TimingSensitive {
    /// The time budget: a run is stopped at `timeLimit`, and Lua code cannot catch the stop.
    /// Nested in `TimingSensitive`, so its tests run one at a time.
    @Suite struct BudgetTests {
        static let limited = LuaOptions(timeLimit: 0.5)

        static let runawayScripts: [String] = [
            "while true do end",
            "pcall(function() while true do end end)\nreturn 'escaped'",
            "while true do pcall(function() while true do end end) end",
        ]

        /// Harder escapes, with a shorter limit to keep the suite fast.
        static let evasiveScripts: [String] = [
            "local function spin() while true do end end\nwhile true do pcall(pcall, spin) end",
            // A message handler runs with hooks off when the stop is raised inside a C call.
            "for i = 1, 3 do xpcall(function() while true do end end, function(e) while true do end end) end\nreturn 'escaped'",
            "table.sort({3, 2, 1}, function(a, b)\n  xpcall(function() while true do end end, function(e) while true do end end)\n  return a < b\nend)\nreturn 'escaped'",
            "local ok = pcall(table.sort, {3, 2, 1}, function() while true do end end)\nwhile true do end",
            "local t = setmetatable({}, {__index = function(t, k) while true do end end})\nlocal ok = pcall(function() return t.x end)\nreturn 'escaped'",
            "local ok = pcall(string.gsub, 'aaa', 'a', function() while true do end end)\nreturn 'escaped'",
            "do\n  local x <close> = setmetatable({}, {__close = function() while true do end end})\n  while true do end\nend",
        ]

        @Test("a runaway script is stopped at the limit", arguments: runawayScripts)
        func runawayScriptIsStopped(source: String) async throws {
            try await expectStopped(source, limit: 0.5)
        }

        @Test("a script that tries to catch the stop is stopped anyway", arguments: evasiveScripts)
        func evasiveScriptIsStopped(source: String) async throws {
            try await expectStopped(source, limit: 0.15)
        }

        private func expectStopped(_ source: String, limit: Double, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let vm = try LuaVM(options: LuaOptions(timeLimit: limit))
            let (error, elapsed) = await measure { await runExpectingError(vm, source) }
            let stopped = try #require(error, sourceLocation: sourceLocation)
            #expect(stopped.kind == .timeLimit, "\(stopped.message)", sourceLocation: sourceLocation)
            #expect(stopped.message.contains("time limit exceeded"), "\(stopped.message)", sourceLocation: sourceLocation)
            #expect(stopped.message.hasPrefix("t.lua:"), "\(stopped.message)", sourceLocation: sourceLocation)
            #expect(elapsed < .seconds(limit + 5), "took \(elapsed)", sourceLocation: sourceLocation)
            #expect(elapsed >= .seconds(limit * 0.9), "stopped after only \(elapsed)", sourceLocation: sourceLocation)
        }

        @Test func stopNamesTheLineThatWasRunning() async throws {
            let vm = try LuaVM(options: LuaOptions(timeLimit: 0.2))
            let source = "local n = 0\nlocal function spin()\n  while true do\n    n = n + 1\n  end\nend\nspin()"
            let error = try #require(await runExpectingError(vm, source))
            #expect(error.kind == .timeLimit)
            #expect(["t.lua:3: time limit exceeded", "t.lua:4: time limit exceeded"].contains(error.message), "\(error.message)")
            #expect(error.traceback.contains("t.lua:7:"), "\(error.traceback)")
        }

        @Test func finalizersAreRefused() async throws {
            // __gc would run with hooks off, beyond the budget, and again when the VM closes.
            let vm = try LuaVM(options: LuaOptions(timeLimit: 0.2))
            let error = try #require(await runExpectingError(
                vm, "local t = {}\nsetmetatable(t, {__gc = function() while true do end end})\nt = nil collectgarbage()"))
            #expect(error.message == "t.lua:2: __gc metamethods are not available in a recipe (sandbox)")
            let results = try await vm.run(
                source: "local mt = {__index = {x = 1}} return setmetatable({}, mt).x, getmetatable(setmetatable({}, mt)) == mt",
                chunkName: "@t.lua")
            #expect(results == [.int(1), .bool(true)])
        }

        @Test func asyncPrimitiveLongerThanTheLimitIsStopped() async throws {
            let vm = try makeVM(options: Self.limited, ["sleep": Primitives.sleep])
            let (error, elapsed) = await measure { await runExpectingError(vm, "local x = 1\nsleep(3)\nreturn 'woke'") }
            let stopped = try #require(error)
            #expect(stopped.kind == .timeLimit, "\(stopped.message)")
            #expect(stopped.message == "t.lua:2: time limit exceeded", "\(stopped.message)")
            #expect(elapsed < .seconds(10), "took \(elapsed)")
        }

        @Test func catchingTheStopOfAnAsyncPrimitiveDoesNotBuyTime() async throws {
            let vm = try makeVM(options: LuaOptions(timeLimit: 0.3), ["sleep": Primitives.sleep])
            let (error, elapsed) = await measure {
                await runExpectingError(vm, "while true do pcall(sleep, 2) end")
            }
            let stopped = try #require(error)
            #expect(stopped.kind == .timeLimit, "\(stopped.message)")
            #expect(elapsed < .seconds(10), "took \(elapsed)")
        }

        @Test func asyncPrimitiveWithinTheLimitCompletes() async throws {
            let vm = try makeVM(options: Self.limited, ["sleep": Primitives.sleep])
            let results = try await vm.run(source: "return sleep(0.05, 'done')", chunkName: "@t.lua")
            #expect(results == [.string("done")])
        }

        @Test func eachRunGetsAFreshBudget() async throws {
            let vm = try makeVM(options: LuaOptions(timeLimit: 0.25), ["sleep": Primitives.sleep])
            // Runs that end early must not leave their deadline behind for the next run.
            for round in 1...3 {
                let results = try await vm.run(source: "return sleep(0.15, \(round))", chunkName: "@t.lua")
                #expect(results == [.int(Int64(round))])
            }
            // Nor must a stopped run poison the VM.
            let error = try #require(await runExpectingError(vm, "while true do end"))
            #expect(error.kind == .timeLimit)
            let after = try await vm.run(source: "local n = 0 for i = 1, 1e5 do n = n + i end return n", chunkName: "@t.lua")
            #expect(after == [.int(5_000_050_000)])
            let slept = try await vm.run(source: "return sleep(0.1, 'ok')", chunkName: "@t.lua")
            #expect(slept == [.string("ok")])
        }

        @Test func preludeAfterAnExpiredRunIsNotStopped() async throws {
            let vm = try LuaVM(options: LuaOptions(timeLimit: 0.1))
            _ = try await vm.run(source: "return 1", chunkName: "@t.lua")
            try await Task.sleep(nanoseconds: 200_000_000)
            try vm.runPrelude("local n = 0 for i = 1, 1e5 do n = n + i end", chunkName: "=later")
        }

        @Test func runawayParallelBranchIsStopped() async throws {
            let vm = try makeVM(options: LuaOptions(timeLimit: 0.4), ["sleep": Primitives.sleep])
            let (error, elapsed) = await measure {
                await runExpectingError(
                    vm,
                    """
                    parallel{
                      function() return sleep(5) end,
                      function() while true do pcall(function() while true do end end) end end,
                      function() return 3 end,
                    }
                    """)
            }
            let stopped = try #require(error)
            #expect(stopped.kind == .timeLimit, "\(stopped.message)")
            #expect(elapsed < .seconds(10), "took \(elapsed)")
        }

        @Test func ordinaryErrorsAreNotReportedAsTimeLimit() async throws {
            let vm = try LuaVM(options: Self.limited)
            let error = try #require(await runExpectingError(vm, "error('plain')"))
            #expect(error.kind == .runtime)
            #expect(error.message == "t.lua:1: plain")
        }

        @Test func withoutALimitLongRunsFinish() async throws {
            let vm = try LuaVM()
            let results = try await vm.run(
                source: "local n = 0 for i = 1, 2e6 do n = n + 1 end return n", chunkName: "@t.lua")
            #expect(results == [.int(2_000_000)])
        }
    }
}
