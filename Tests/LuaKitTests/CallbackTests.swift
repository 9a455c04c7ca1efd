import Foundation
import Synchronization
import Testing
@testable import LuaKit

/// Swift tasks calling back into Lua while the VM runs: how the engine runs lifecycle hooks.
@Suite struct CallbackTests {
    /// `apply(f, budget)` hands `f` to a Swift task, which calls it with 20 and adds 1, or
    /// returns the error message when `f` fails.
    func vm() throws -> LuaVM {
        let vm = try LuaVM()
        let callbacks = vm.callbacks
        vm.register("apply") { call in
            guard let f = call.arg(1).functionValue else { throw PrimitiveError("apply: expected a function") }
            let budget = call.arg(2).doubleValue
            return .async {
                do {
                    let r = try await callbacks.call(f, [.int(20)], timeLimit: budget)
                    return [.int((r.first?.intValue ?? 0) + 1)]
                } catch let error as LuaError {
                    return [.string(error.message)]
                }
            }
        }
        try vm.runPrelude("local prim = ...; apply = prim.apply", chunkName: "=test")
        return vm
    }

    @Test func swiftCallsALuaFunctionDuringTheRun() async throws {
        let results = try await vm().run(source: "return apply(function(x) return x * 2 end)", chunkName: "@t.lua")
        #expect(results == [.int(41)])
    }

    @Test func callbackErrorsNameTheRecipeLine() async throws {
        let results = try await vm().run(source: "\nreturn apply(function(x)\n  error('no ' .. x)\nend)", chunkName: "@t.lua")
        #expect(results == [.string("t.lua:3: no 20")])
    }

    @Test func aCallbackOverItsBudgetIsStoppedAndTheRunGoesOn() async throws {
        let start = Date()
        let results = try await vm().run(source: """
            local spun = apply(function() while true do end end, 0.3)
            local waited = apply(function() pcall(function() while true do end end) return 1 end, 0.3)
            local fine = apply(function(x) return x end, 5)
            return spun, waited, fine
            """, chunkName: "@t.lua")
        #expect(Date().timeIntervalSince(start) < 20, "stopped by the budget, not left to spin")
        #expect(results.count == 3)
        #expect(results[0].stringValue?.contains("time limit exceeded") == true, "\(results)")
        #expect(results[1].stringValue?.contains("time limit exceeded") == true, "\(results)")
        #expect(results[2] == .int(21))
    }

    /// `apply_all({f, ...}, budget)` starts every function in one batch, each with 20, and returns
    /// their outcomes in order (a result plus 1, or the error message) and how many deliveries it took.
    func batchVM() throws -> LuaVM {
        let vm = try LuaVM()
        let callbacks = vm.callbacks
        vm.register("apply_all") { call in
            let functions = call.arg(1).tableValue?.array.compactMap(\.functionValue) ?? []
            let budget = call.arg(2).doubleValue
            return .async {
                let deliveries = await withCheckedContinuation { (done: CheckedContinuation<[[LuaBatchOutcome]], Never>) in
                    let gathered = Gathered(count: functions.count, done)
                    callbacks.start(functions.map { LuaInvocation($0, [.int(20)], timeLimit: budget) }) { gathered.add($0) }
                }
                let outcomes = deliveries.flatMap { $0 }.sorted { $0.index < $1.index }.map { outcome -> LuaValue in
                    switch outcome.result {
                    case .success(let values): .int((values.first?.intValue ?? 0) + 1)
                    case .failure(let error): .string(error.message)
                    }
                }
                return [.table(LuaTable(array: outcomes)), .int(Int64(deliveries.count))]
            }
        }
        try vm.runPrelude("local prim = ...; apply_all = prim.apply_all", chunkName: "=test")
        return vm
    }

    /// Collects a batch's deliveries until every invocation has ended.
    final class Gathered: Sendable {
        let state: Mutex<(left: Int, deliveries: [[LuaBatchOutcome]], done: CheckedContinuation<[[LuaBatchOutcome]], Never>?)>

        init(count: Int, _ done: CheckedContinuation<[[LuaBatchOutcome]], Never>) {
            state = Mutex((count, [], done))
        }

        func add(_ outcomes: [LuaBatchOutcome]) {
            let finished = state.withLock { s -> ([[LuaBatchOutcome]], CheckedContinuation<[[LuaBatchOutcome]], Never>)? in
                s.left -= outcomes.count
                s.deliveries.append(outcomes)
                guard s.left == 0, let done = s.done else { return nil }
                s.done = nil
                return (s.deliveries, done)
            }
            if let (deliveries, done) = finished { done.resume(returning: deliveries) }
        }
    }

    @Test func aBatchEntersTheVMOnceAndEachFunctionEndsOnItsOwn() async throws {
        let start = Date()
        let results = try await batchVM().run(source: """
            local outcomes, deliveries = apply_all({
              function(x) return x * 2 end,
              function(x) error("no " .. x) end,
              function(x) return x end,
              function() while true do end end,
            }, 0.3)
            return outcomes[1], outcomes[2], outcomes[3], outcomes[4], deliveries
            """, chunkName: "@t.lua")
        #expect(Date().timeIntervalSince(start) < 20, "the spinning one is stopped by its budget")
        #expect(results.count == 5)
        #expect(results[0] == .int(41))
        #expect(results[1] == .string("t.lua:3: no 20"))
        #expect(results[2] == .int(21))
        #expect(results[3].stringValue?.contains("time limit exceeded") == true, "\(results)")
        #expect(results[4] == .int(2), "the three short ones in one delivery, the stopped one in its own")
    }
}
