import Foundation
import Testing
@testable import LuaKit

/// The memory cap: a script that allocates past `memoryLimit` fails cleanly, and the VM survives.
@Suite struct MemoryTests {
    static let capped = LuaOptions(memoryLimit: 64 << 20)

    @Test func buildingGigabytesOfStringsHitsTheCap() async throws {
        var vm: LuaVM? = try LuaVM(options: Self.capped)
        let source = """
            local t = {}
            for i = 1, 1e9 do t[i] = string.rep("x", 1e6) .. i end
            return #t
            """
        let error = try #require(await runExpectingError(vm!, source))
        #expect(error.kind == .memory)
        #expect(error.message.contains("memory limit"), "\(error.message)")
        #expect(error.message.hasPrefix("t.lua:2: "), "\(error.message)")
        #expect(error.message.contains("64 MiB"), "\(error.message)")
        #expect(vm!.memoryUsed < (64 << 20) + (1 << 20))
        vm = nil  // closing the state after the failure must not crash
    }

    @Test func oneHugeAllocationHitsTheCap() async throws {
        let vm = try LuaVM(options: Self.capped)
        let error = try #require(await runExpectingError(vm, "\nlocal s = string.rep('x', 1 << 30)\nreturn #s"))
        #expect(error.kind == .memory)
        #expect(error.message.hasPrefix("t.lua:2: memory limit"), "\(error.message)")
    }

    @Test func theVMStaysUsableAfterAMemoryError() async throws {
        let vm = try LuaVM(options: Self.capped)
        let error = try #require(
            await runExpectingError(vm, "local t = {} for i = 1, 1e9 do t[i] = string.rep('y', 1e6) .. i end"))
        #expect(error.kind == .memory)
        // The garbage of the failed run is collectable and the next run works.
        let results = try await vm.run(
            source: "collectgarbage() return collectgarbage('count') < 8 * 1024, 1 + 1", chunkName: "@t.lua")
        #expect(results == [.bool(true), .int(2)])
        #expect(vm.memoryUsed < 8 << 20)
        // A later ordinary error is not reported as a memory error.
        let later = try #require(await runExpectingError(vm, "error('plain')"))
        #expect(later.kind == .runtime)
        #expect(later.message == "t.lua:1: plain")
    }

    @Test func pcallCatchesAMemoryErrorAndALaterErrorIsNotAMemoryError() async throws {
        let vm = try LuaVM(options: Self.capped)
        let results = try await vm.run(
            source: """
                local ok, err = pcall(function()
                  local t = {}
                  for i = 1, 1e9 do t[i] = string.rep("z", 1e6) .. i end
                end)
                collectgarbage()
                return ok, err
                """,
            chunkName: "@t.lua")
        #expect(results == [.bool(false), .string("not enough memory")])
        let error = try #require(await runExpectingError(vm, "local ok = pcall(string.rep, 'x', 1 << 30)\nerror('plain')"))
        #expect(error.kind == .runtime)
        #expect(error.message == "t.lua:2: plain", "\(error.message)")
    }

    @Test func aPrimitiveReturningTooMuchHitsTheCap() async throws {
        let vm = try makeVM(options: LuaOptions(memoryLimit: 16 << 20), [
            "big": { _ in .values([.string(String(decoding: [UInt8](repeating: 120, count: 24 << 20), as: UTF8.self))]) },
        ])
        let error = try #require(await runExpectingError(vm, "local x = 1\nlocal s = big()\nreturn #s"))
        #expect(error.kind == .memory)
        #expect(error.message.hasPrefix("t.lua:2: memory limit of 16 MiB exceeded"), "\(error.message)")
    }

    @Test func aMemoryErrorInAParallelBranchIsStillAMemoryError() async throws {
        let vm = try LuaVM(options: Self.capped)
        let source = """
            return parallel{
              function() return 1 end,
              function() local t = {} for i = 1, 1e9 do t[i] = string.rep("p", 1e6) .. i end end,
            }
            """
        let error = try #require(await runExpectingError(vm, source))
        #expect(error.kind == .memory, "\(error.message)")
        #expect(error.message.hasPrefix("t.lua:3: memory limit"), "\(error.message)")
    }

    @Test func memoryUsedGrowsAndShrinks() async throws {
        let vm = try LuaVM()
        _ = try await vm.run(source: "collectgarbage()", chunkName: "@t.lua")
        let before = vm.memoryUsed
        #expect(before < 1 << 20)
        vm.setGlobal("blob", .string(String(repeating: "b", count: 4 << 20)))
        #expect(vm.memoryUsed >= 4 << 20)
        _ = try await vm.run(source: "blob = nil collectgarbage()", chunkName: "@t.lua")
        #expect(vm.memoryUsed < before + (64 << 10))
    }
}
