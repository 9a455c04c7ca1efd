import Foundation
import Testing
@testable import LuaKit

extension TimingSensitive {
    /// Time slices: a busy coroutine yields from the count hook every few milliseconds, so the
    /// others run meanwhile; its budget still stops it, naming its line.
    @Suite struct PreemptionTests {
        /// `hook(f, budget)` calls `f` as a hook (a coroutine started from Swift, with its own
        /// budget) and returns the seconds it took and its result or error message.
        func vm(_ options: LuaOptions = LuaOptions()) throws -> LuaVM {
            let vm = try LuaVM(options: options)
            let callbacks = vm.callbacks
            vm.register("hook") { call in
                guard let f = call.arg(1).functionValue else { throw PrimitiveError("hook: expected a function") }
                let budget = call.arg(2).doubleValue
                return .async {
                    let start = Date()
                    let outcome: LuaValue
                    do {
                        outcome = try await callbacks.call(f, [], timeLimit: budget).first ?? .nil
                    } catch let error as LuaError {
                        outcome = .string(error.message)
                    }
                    return [.number(Date().timeIntervalSince(start)), outcome]
                }
            }
            vm.register("sleep", Primitives.sleep)
            try vm.runPrelude("local prim = ...; hook = prim.hook; sleep = prim.sleep", chunkName: "=test")
            return vm
        }

        static let busyAndQuick = """
            local busy_took, busy, quick_took, quick
            parallel{
              function() busy_took, busy = hook(function()
                while true do end
              end, 2) end,
              function() quick_took, quick = hook(function()
                for i = 1, 5 do sleep(0.01) end
                return "quick done"
              end, 5) end,
            }
            return busy_took, busy, quick_took, quick
            """

        @Test func aBusyHookDoesNotHoldUpTheOthers() async throws {
            let results = try await vm().run(source: Self.busyAndQuick, chunkName: "@t.lua")
            #expect(results.count == 4)
            #expect(results[3] == .string("quick done"))
            let quickTook = try #require(results[2].doubleValue)
            #expect(quickTook < 1, "the quick hook waited \(quickTook) s behind the busy one")
            #expect(results[1].stringValue == "t.lua:4: time limit exceeded", "\(results[1])")
            let busyTook = try #require(results[0].doubleValue)
            #expect(busyTook >= 2 && busyTook < 6, "stopped by its budget: \(busyTook) s")
        }

        @Test func withoutSlicesTheBusyHookHoldsUpTheOthers() async throws {
            let results = try await vm(LuaOptions(timeSlice: nil)).run(source: Self.busyAndQuick, chunkName: "@t.lua")
            #expect(results[3] == .string("quick done"))
            let quickTook = try #require(results[2].doubleValue)
            #expect(quickTook >= 1.5, "the quick hook waited behind the busy one: \(quickTook) s")
        }

        @Test func aPreemptedCoroutineResumesWhereItWas() async throws {
            // long enough to be preempted many times, inside pcall and a parallel branch
            let results = try await vm().run(source: """
                local function count(n) local s = 0 for i = 1, n do s = s + i end return s end
                local a, b = parallel{
                  function() local ok, s = pcall(count, 20000000) return s end,
                  function() return count(20000000) end,
                }
                return a, b
                """, chunkName: "@t.lua")
            #expect(results == [.int(200000010000000), .int(200000010000000)])
        }
    }
}
