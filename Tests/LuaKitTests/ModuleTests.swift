import Foundation
import Testing
@testable import LuaKit

/// `require`: dotted names under the module roots, text only, loaded once, never outside the roots.
@Suite struct ModuleTests {
    @Test func findsAModuleFile() async throws {
        try await withTemporaryDirectory { root in
            try write("return { name = 'a.b from file' }", to: "a/b.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let results = try await vm.run(source: "return require('a.b').name", chunkName: "@t.lua")
            #expect(results == [.string("a.b from file")])
        }
    }

    @Test func findsAnInitFile() async throws {
        try await withTemporaryDirectory { root in
            try write("return { name = 'a.b from init', arg = ... }", to: "a/b/init.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let results = try await vm.run(source: "local m = require('a.b') return m.name, m.arg", chunkName: "@t.lua")
            #expect(results == [.string("a.b from init"), .string("a.b")])
        }
    }

    @Test func fileWinsOverInitAndFirstRootWins() async throws {
        try await withTemporaryDirectory { dir in
            let first = dir.appendingPathComponent("first"), second = dir.appendingPathComponent("second")
            try write("return 'first file'", to: "m.lua", in: first)
            try write("return 'first init'", to: "m/init.lua", in: first)
            try write("return 'second'", to: "m.lua", in: second)
            try write("return 'only in second'", to: "n.lua", in: second)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [first, second]))
            let results = try await vm.run(source: "return require('m'), require('n')", chunkName: "@t.lua")
            #expect(results == [.string("first file"), .string("only in second")])
        }
    }

    @Test func aModuleIsLoadedOnce() async throws {
        try await withTemporaryDirectory { root in
            try write("loads = (loads or 0) + 1\nreturn { id = loads }", to: "counter.lua", in: root)
            try write("loads_side = (loads_side or 0) + 1", to: "side.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let results = try await vm.run(
                source: """
                    local a = require("counter")
                    local b = require("counter")
                    local s1, s2 = require("side"), require("side")
                    return rawequal(a, b), loads, s1, s2, loads_side
                    """,
                chunkName: "@t.lua")
            #expect(results == [.bool(true), .int(1), .bool(true), .bool(true), .int(1)])
            // The cache outlives one run.
            let again = try await vm.run(source: "return require('counter').id, loads", chunkName: "@t.lua")
            #expect(again == [.int(1), .int(1)])
        }
    }

    @Test func missingModuleIsLocatedAtTheRequireLine() async throws {
        try await withTemporaryDirectory { root in
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let error = try #require(await runExpectingError(vm, "local x = 1\n\nlocal m = require('x')"))
            #expect(error.message.hasPrefix("t.lua:3: module 'x' not found"), "\(error.message)")
            #expect(error.message.contains("x.lua"), "the message lists where it searched: \(error.message)")
        }
    }

    @Test func withoutRootsNothingIsFound() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "require('string')"))
        #expect(error.message.hasPrefix("t.lua:1: module 'string' not found"), "\(error.message)")
    }

    @Test(arguments: ["a/b", "../etc/passwd", "..", "a..b", ".a", "a.", "/etc/passwd", "a\\b", "", "a b"])
    func namesThatCouldLeaveTheRootsAreRefused(name: String) async throws {
        try await withTemporaryDirectory { dir in
            let root = dir.appendingPathComponent("root")
            try write("return 'secret'", to: "secret.lua", in: dir)
            try write("return 'b'", to: "root/a/b.lua", in: dir)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let quoted = name.replacingOccurrences(of: "\\", with: "\\\\")
            let error = try #require(await runExpectingError(vm, "\nreturn require(\"\(quoted)\")"))
            #expect(error.message.hasPrefix("t.lua:2: require '"), "\(error.message)")
            #expect(error.message.contains("cannot leave the search roots"), "\(error.message)")
        }
    }

    @Test func nonStringNameIsRefused() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "require(42)"))
        #expect(error.message == "t.lua:1: require: expected a module name")
    }

    @Test func symlinkLeadingOutsideTheRootIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let root = dir.appendingPathComponent("root")
            try write("return 'secret'", to: "outside/secret.lua", in: dir)
            try write("return 'inside'", to: "root/real.lua", in: dir)
            let fm = FileManager.default
            try fm.createSymbolicLink(
                at: root.appendingPathComponent("evil.lua"), withDestinationURL: dir.appendingPathComponent("outside/secret.lua"))
            try fm.createSymbolicLink(
                at: root.appendingPathComponent("evildir"), withDestinationURL: dir.appendingPathComponent("outside"))
            try fm.createSymbolicLink(
                at: root.appendingPathComponent("alias.lua"), withDestinationURL: root.appendingPathComponent("real.lua"))
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))

            let file = try #require(await runExpectingError(vm, "return require('evil')"))
            #expect(file.message.hasPrefix("t.lua:1: require 'evil': "), "\(file.message)")
            #expect(file.message.contains("leads outside its search root"), "\(file.message)")

            let folder = try #require(await runExpectingError(vm, "\nreturn require('evildir.secret')"))
            #expect(folder.message.hasPrefix("t.lua:2: require 'evildir.secret': "), "\(folder.message)")
            #expect(folder.message.contains("leads outside its search root"), "\(folder.message)")

            // A link that stays inside the root is fine.
            let results = try await vm.run(source: "return require('alias')", chunkName: "@t.lua")
            #expect(results == [.string("inside")])
        }
    }

    @Test func rootThatIsItselfASymlinkWorks() async throws {
        try await withTemporaryDirectory { dir in
            try write("return 'via link'", to: "real/m.lua", in: dir)
            let link = dir.appendingPathComponent("link")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: dir.appendingPathComponent("real"))
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [link]))
            let results = try await vm.run(source: "return require('m')", chunkName: "@t.lua")
            #expect(results == [.string("via link")])
        }
    }

    @Test func tailCalledRequireInsideAModuleNamesThatModule() async throws {
        // `return require(...)` is a tail call: the error must still name the line of init.lua.
        try await withTemporaryDirectory { root in
            try write("-- forwards to the implementation\nreturn require('pkg.impl')", to: "pkg/init.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let error = try #require(await runExpectingError(vm, "local pkg = require('pkg')"))
            #expect(error.message.hasSuffix("pkg/init.lua:2: module 'pkg.impl' not found; searched "
                + DisplayPath.of(root.appendingPathComponent("pkg/impl.lua")) + ", "
                + DisplayPath.of(root.appendingPathComponent("pkg/impl/init.lua"))), "\(error.message)")
            #expect(!error.message.hasPrefix("t.lua"), "\(error.message)")
        }
    }

    @Test func syntaxErrorInAModuleNamesTheModuleFileAndLine() async throws {
        try await withTemporaryDirectory { root in
            try write("local ok = 1\nlocal broken = = 2\nreturn {}", to: "a/bad.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let error = try #require(await runExpectingError(vm, "local m = require('a.bad')"))
            #expect(error.message.contains("a/bad.lua:2:"), "\(error.message)")
            #expect(error.message.contains("'='"), "\(error.message)")
            #expect(!error.message.hasPrefix("t.lua"), "\(error.message)")
        }
    }

    @Test func runtimeErrorInAModuleNamesTheModuleLineAndIsNotCached() async throws {
        try await withTemporaryDirectory { root in
            try write("attempts = (attempts or 0) + 1\n\nerror('cannot start')", to: "flaky.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let error = try #require(await runExpectingError(vm, "require('flaky')"))
            #expect(error.message.hasSuffix("flaky.lua:3: cannot start"), "\(error.message)")
            let results = try await vm.run(
                source: "local ok = pcall(require, 'flaky') return ok, attempts", chunkName: "@t.lua")
            #expect(results == [.bool(false), .int(2)])
        }
    }

    @Test func primitiveErrorInsideAModuleNamesTheModuleLine() async throws {
        try await withTemporaryDirectory { root in
            try write("local M = {}\nfunction M.go()\n  fail()\nend\nreturn M", to: "tool.lua", in: root)
            let vm = try makeVM(options: LuaOptions(moduleRoots: [root]), ["fail": Primitives.fail])
            let error = try #require(await runExpectingError(vm, "require('tool').go()"))
            #expect(error.message.hasSuffix("tool.lua:3: bad count"), "\(error.message)")
        }
    }

    @Test func modulesMayCallAsyncPrimitivesAndRequireEachOther() async throws {
        try await withTemporaryDirectory { root in
            try write("local v = sleep(0.01, 'slept')\nreturn { v = v, dep = require('lib.dep') }", to: "lib/init.lua", in: root)
            try write("return 'dep'", to: "lib/dep.lua", in: root)
            let vm = try makeVM(options: LuaOptions(moduleRoots: [root]), ["sleep": Primitives.sleep])
            let results = try await vm.run(
                source: "local lib = require('lib') return lib.v, lib.dep", chunkName: "@t.lua")
            #expect(results == [.string("slept"), .string("dep")])
        }
    }

    @Test func bytecodeModulesAreRefused() async throws {
        try await withTemporaryDirectory { root in
            try write("\u{1B}Lua not really bytecode", to: "bin.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let error = try #require(await runExpectingError(vm, "require('bin')"))
            #expect(error.message.contains("binary chunk"), "\(error.message)")
        }
    }

    @Test func searcherResolvesPaths() throws {
        let searcher = ModuleSearcher(roots: [URL(fileURLWithPath: "/nonexistent-root")])
        #expect(throws: PrimitiveError.self) { try searcher.find("a.b") }
        #expect(ModuleSearcher.isValidName("cookbooks.haproxy-2_x"))
        #expect(!ModuleSearcher.isValidName("a/b"))
    }
}

/// A require cycle is an error naming the chain; the library loader finds only the library's modules.
@Suite struct RequireCycleTests {
    @Test func aCycleIsRefusedWithItsChainAtTheRequiringLine() async throws {
        try await withTemporaryDirectory { root in
            try write("return require('b')", to: "a.lua", in: root)
            try write("local x = 1\nreturn require('a')", to: "b.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            do {
                _ = try await vm.run(source: "return require('a')", chunkName: "@t.lua")
                Issue.record("expected a cycle error")
            } catch let error as LuaError {
                #expect(error.message.contains("require cycle: a -> b -> a"), "\(error.message)")
                #expect(error.message.contains("b.lua:2: require cycle"), "\(error.message)")
            }
        }
    }

    @Test func aModuleThatFailedCanBeRequiredAgainWithoutACycle() async throws {
        try await withTemporaryDirectory { root in
            try write("if not ok then error('not yet') end\nreturn 'loaded'", to: "m.lua", in: root)
            let vm = try LuaVM(options: LuaOptions(moduleRoots: [root]))
            let results = try await vm.run(source: """
                local first = pcall(require, 'm')
                ok = true
                return first, require('m')
                """, chunkName: "@t.lua")
            #expect(results == [.bool(false), .string("loaded")])
        }
    }
}
