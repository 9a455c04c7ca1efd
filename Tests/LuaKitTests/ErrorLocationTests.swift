import Foundation
import Testing
@testable import LuaKit

/// Errors reach the user as `path/to/recipe.lua:LINE: message`.
@Suite struct ErrorLocationTests {
    @Test func syntaxErrorInTheMainChunk() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "local a = 1\n\nlocal b = = 2\n"))
        #expect(error.kind == .syntax)
        #expect(error.message.hasPrefix("t.lua:3:"), "\(error.message)")
        #expect(error.message.contains("near '='"), "\(error.message)")
    }

    @Test func unfinishedBlockIsReportedAtTheEnd() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "if true then\n  print(1)\n"))
        #expect(error.kind == .syntax)
        #expect(error.message.hasPrefix("t.lua:3:"), "\(error.message)")
        #expect(error.message.contains("'end' expected"), "\(error.message)")
    }

    @Test func runtimeErrorNamesTheLine() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "local t = nil\n\nreturn t.x"))
        #expect(error.kind == .runtime)
        #expect(error.message.hasPrefix("t.lua:3: attempt to index a nil value"), "\(error.message)")
    }

    @Test func errorCallsNameTheirLineAndCarryATraceback() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(
            vm, "local function deploy()\n  error('no instances')\nend\ndeploy()", chunkName: "@recipes/app.lua"))
        #expect(error.message == "recipes/app.lua:2: no instances")
        #expect(error.traceback.hasPrefix("recipes/app.lua:2: no instances\nstack traceback:"), "\(error.traceback)")
        #expect(error.traceback.contains("recipes/app.lua:4:"), "\(error.traceback)")
        #expect(error.description == error.message)
    }

    @Test func errorAtLevelTwoNamesTheCaller() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(
            vm, "local function check(x)\n  if not x then error('x is required', 2) end\nend\n\ncheck(nil)"))
        #expect(error.message == "t.lua:5: x is required")
    }

    @Test func errorWithoutPositionIsKeptAsIs() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "error('bare', 0)"))
        #expect(error.message == "bare")
    }

    @Test func nonStringErrorValuesAreDescribed() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "error({code = 1})"))
        #expect(error.kind == .runtime)
        #expect(error.message.contains("table"), "\(error.message)")
    }

    @Test func aLoadedFileIsNamedByItsDisplayPath() async throws {
        try await withTemporaryDirectory { dir in
            try write("local x = 1\nerror('from file')", to: "clusters/web.lua", in: dir)
            let vm = try LuaVM()
            do {
                _ = try await vm.run(try vm.loadFile(dir.appendingPathComponent("clusters/web.lua"), displayPath: "clusters/web.lua"))
                Issue.record("expected an error")
            } catch let error as LuaError {
                #expect(error.message == "clusters/web.lua:2: from file")
            }
            let missing = #expect(throws: LuaError.self) {
                try vm.loadFile(dir.appendingPathComponent("nope.lua"), displayPath: "nope.lua")
            }
            #expect(missing?.message.hasPrefix("nope.lua: cannot read") == true, "\(String(describing: missing))")
        }
    }

    @Test func aLoadedFileRunsWithArgumentsAndReturnsValues() async throws {
        try await withTemporaryDirectory { dir in
            try write("return ...", to: "r.lua", in: dir)
            let vm = try LuaVM()
            let results = try await vm.run(try vm.loadFile(dir.appendingPathComponent("r.lua"), displayPath: "r.lua"), args: ["x"])
            #expect(results == [.string("x")])
        }
    }
}
