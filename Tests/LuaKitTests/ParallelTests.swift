import Foundation
import Testing
@testable import LuaKit

/// `parallel{f1, f2, ...}`: branches run as coroutines on one state, results come back in order.
@Suite struct ParallelTests {
    @Test func resultsComeBackInOrder() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: """
                return parallel{
                  function() return 1 end,
                  function() return "two", "ignored" end,
                  function() return {3} end,
                }
                """,
            chunkName: "@t.lua")
        #expect(results == [.int(1), .string("two"), .table(LuaTable(array: [3]))])
    }

    @Test func aBranchReturningNothingGivesNil() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: """
                local n = select("#", parallel{ function() return 1 end, function() end, function() return 3 end })
                local a, b, c = parallel{ function() return 1 end, function() end, function() return 3 end }
                return n, a, b == nil, c
                """,
            chunkName: "@t.lua")
        #expect(results == [.int(3), .int(1), .bool(true), .int(3)])
    }

    @Test func branchesShareTheState() async throws {
        let vm = try makeVM(["sleep": Primitives.sleep])
        let results = try await vm.run(
            source: """
                local total = 0
                local branches = {}
                for i = 1, 50 do
                  branches[i] = function() sleep(0.01) total = total + i return i * 2 end
                end
                local r = { parallel(branches) }
                return total, #r, r[50]
                """,
            chunkName: "@t.lua")
        #expect(results == [.int(1275), .int(50), .int(100)])
    }

    @Test func errorInABranchCarriesThatBranchsLine() async throws {
        let vm = try makeVM(["sleep": Primitives.sleep])
        let source = """
            parallel{
              function() return sleep(0.01, 1) end,
              function()
                error("boom")
              end,
              function() return 3 end,
            }
            return "after"
            """
        let error = try #require(await runExpectingError(vm, source))
        #expect(error.kind == .runtime)
        #expect(error.message == "t.lua:4: boom")
    }

    @Test func asyncErrorInABranchCarriesThatBranchsLine() async throws {
        let vm = try makeVM(["fetch_fail": Primitives.fetchFail])
        let source = "parallel{\n  function() return 1 end,\n  function() return fetch_fail('no host') end,\n}"
        let error = try #require(await runExpectingError(vm, source))
        #expect(error.message == "t.lua:3: no host")
    }

    @Test func pcallCatchesABranchError() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: """
                local ok, err = pcall(parallel, { function() return 1 end, function() error("bad branch") end })
                return ok, err, parallel{ function() return "again" end }
                """,
            chunkName: "@t.lua")
        #expect(results == [.bool(false), .string("t.lua:1: bad branch"), .string("again")])
    }

    @Test func emptyTableReturnsNothing() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(source: "return select('#', parallel{}), 'after'", chunkName: "@t.lua")
        #expect(results == [.int(0), .string("after")])
    }

    @Test func nonFunctionEntryIsRefused() async throws {
        let vm = try LuaVM()
        let error = try #require(
            await runExpectingError(vm, "local x = 1\nparallel{ function() end, 42 }"))
        #expect(error.message == "t.lua:2: parallel: entry 2 is a number, not a function")
    }

    @Test func nonTableArgumentIsRefused() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "parallel('f')"))
        #expect(error.message == "t.lua:1: parallel: expected a table of functions, got string")
    }

    @Test func parallelOutsideARunIsRefused() throws {
        let vm = try LuaVM()
        #expect(throws: LuaError.self) {
            try vm.runPrelude("parallel{ function() end }", chunkName: "=setup")
        }
    }
}

extension TimingSensitive {
    /// The wall-clock side of `parallel`, run apart from the runaway scripts of `BudgetTests`.
    @Suite struct ParallelTimingTests {
        @Test func branchesRunConcurrently() async throws {
            let recorder = FlightRecorder()
            let vm = try makeVM(["sleep": recorder.sleep])
            let (results, elapsed) = try await measure {
                try await vm.run(
                    source: """
                        return parallel{
                          function() return sleep(0.3, "a") end,
                          function() return sleep(0.3, "b") end,
                          function() return sleep(0.3, "c") end,
                        }
                        """,
                    chunkName: "@t.lua")
            }
            #expect(results == [.string("a"), .string("b"), .string("c")])
            // The three sleeps were in flight at once, whatever the machine's load ...
            #expect(recorder.count == 3)
            #expect(recorder.allOverlapped)
            // ... and the run took about one sleep, not three.
            #expect(elapsed < .milliseconds(850), "took \(elapsed)")
            #expect(elapsed >= .milliseconds(290), "took \(elapsed)")
        }

        @Test func orderDoesNotDependOnWhichBranchEndsFirst() async throws {
            let vm = try makeVM(["sleep": Primitives.sleep])
            let results = try await vm.run(
                source: """
                    local log = {}
                    local r = { parallel{
                      function() sleep(0.15) log[#log + 1] = "slow" return "slow" end,
                      function() sleep(0.01) log[#log + 1] = "fast" return "fast" end,
                      function() log[#log + 1] = "now" return "now" end,
                    } }
                    return table.concat(r, ","), table.concat(log, ",")
                    """,
                chunkName: "@t.lua")
            #expect(results == [.string("slow,fast,now"), .string("now,fast,slow")])
        }

        @Test func nestedParallelWorks() async throws {
            let recorder = FlightRecorder()
            let vm = try makeVM(["sleep": recorder.sleep])
            let (results, _) = try await measure {
                try await vm.run(
                    source: """
                        local function pair(x)
                          return function()
                            local a, b = parallel{ function() return sleep(0.2, x) end, function() return sleep(0.2, x * 10) end }
                            return a + b
                          end
                        end
                        return parallel{ pair(1), pair(2), pair(3) }
                        """,
                    chunkName: "@t.lua")
            }
            #expect(results == [.int(11), .int(22), .int(33)])
            // all six sleeps, across both levels, were in flight at once
            #expect(recorder.count == 6)
            #expect(recorder.allOverlapped)
        }
    }
}
