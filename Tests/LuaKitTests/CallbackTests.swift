import Foundation
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
}
