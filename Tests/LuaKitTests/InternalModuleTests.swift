import Foundation
import Testing
@testable import LuaKit

/// `prim.load_internal(name)`: a prelude's own modules load as internal chunks, out of `require`'s
/// reach, so a mistake caught inside one names the recipe line that called into it.
@Suite struct InternalModuleTests {
    /// A VM whose prelude exposes `greet(x)` from the internal module `lib/greeter.lua`.
    func vm(in dir: URL) throws -> LuaVM {
        let options = LuaOptions(moduleRoots: [dir.appendingPathComponent("recipes"), dir.appendingPathComponent("lib")],
                                 internalModules: InternalModules(folder: dir.appendingPathComponent("lib/internal"),
                                                                  chunkPrefix: "Lib/internal"))
        let vm = try LuaVM(options: options)
        try vm.runPrelude("local prim = ...\ngreet = prim.load_internal('greeter')(prim).greet", chunkName: "=test")
        return vm
    }

    func writeGreeter(in dir: URL) throws {
        try write("""
            local prim = ...
            local function greet(name)
              if type(name) ~= "string" then prim.raise("greet: expected a name") end
              if name == "bug" then error("a bug in the module") end
              return "hello " .. name
            end
            return { greet = greet }
            """, to: "lib/internal/greeter.lua", in: dir)
    }

    @Test func aRaiseInsideNamesTheRecipeLine() async throws {
        try await withTemporaryDirectory { dir in
            try writeGreeter(in: dir)
            let vm = try vm(in: dir)
            #expect(try await vm.run(source: "return greet('you')", chunkName: "@t.lua") == [.string("hello you")])
            let error = try #require(await runExpectingError(vm, "local x = 1\nlocal y = greet(42)"))
            #expect(error.message == "t.lua:2: greet: expected a name")
        }
    }

    @Test func itsOwnErrorsNameItsChunk() async throws {
        try await withTemporaryDirectory { dir in
            try writeGreeter(in: dir)
            let vm = try vm(in: dir)
            let error = try #require(await runExpectingError(vm, "local y = greet('bug')"))
            #expect(error.message == "Lib/internal/greeter.lua:4: a bug in the module", "\(error.message)")
        }
    }

    @Test func requireNeverFindsItEvenUnderASearchRoot() async throws {
        try await withTemporaryDirectory { dir in
            try writeGreeter(in: dir)
            try write("return { greet = function() return 'impostor' end }", to: "recipes/greeter.lua", in: dir)
            let vm = try vm(in: dir)
            // the recipe's own greeter is its own business; the prelude's is still the internal one
            let results = try await vm.run(source: "return require('greeter').greet(), greet('you')", chunkName: "@t.lua")
            #expect(results == [.string("impostor"), .string("hello you")])
            let error = try #require(await runExpectingError(vm, "return require('internal.greeter')"))
            #expect(error.message.hasPrefix("t.lua:1: module 'internal.greeter' not found"), "\(error.message)")
            #expect(!error.message.contains("lib/internal/greeter.lua"), "hidden files are not listed: \(error.message)")
        }
    }

    @Test func withoutAFolderThereIsNothingToLoad() async throws {
        let vm = try LuaVM()
        try vm.runPrelude("local prim = ...\nload_it = function() return prim.load_internal('x') end", chunkName: "=test")
        let error = try #require(await runExpectingError(vm, "load_it()"))
        #expect(error.message.contains("this VM has no internal modules"), "\(error.message)")
    }
}
