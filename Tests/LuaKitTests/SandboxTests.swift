import Foundation
import Testing
@testable import LuaKit

/// The sandbox: only base, table, string, math, utf8 and os.time/clock/date/difftime are reachable.
@Suite struct SandboxTests {
    /// Each forbidden call, and the name the error message must give it.
    static let forbiddenCalls: [(call: String, name: String)] = [
        ("os.execute('echo hi')", "os.execute"),
        ("os.exit(1)", "os.exit"),
        ("os.getenv('HOME')", "os.getenv"),
        ("os.remove('/tmp/x')", "os.remove"),
        ("io.open('/etc/passwd')", "io.open"),
        ("io.popen('ls')", "io.popen"),
        ("io.write('x')", "io.write"),
        ("package.loadlib('libc.so.6', 'system')", "package.loadlib"),
        ("debug.sethook(print, 'l')", "debug.sethook"),
        ("debug.getinfo(1)", "debug.getinfo"),
        ("dofile('/etc/passwd')", "dofile"),
        ("loadfile('/etc/passwd')", "loadfile"),
    ]

    @Test("a forbidden call fails at the recipe line that made it", arguments: forbiddenCalls)
    func forbiddenCallIsRefusedWithItsLine(call: String, name: String) async throws {
        let vm = try LuaVM()
        let source = "local x = 1\n\nlocal r = \(call)\nreturn 'still running'\n"
        let error = try #require(await runExpectingError(vm, source, chunkName: "@recipe.lua"))
        #expect(error.kind == .runtime)
        #expect(error.message.hasPrefix("recipe.lua:3: "), "\(error.message)")
        #expect(error.message.contains(name), "\(error.message)")
        #expect(error.message.contains("not available"), "\(error.message)")
    }

    @Test func forbiddenCallInsideAFunctionNamesThatFunctionsLine() async throws {
        let vm = try LuaVM()
        let source = """
            local function shell(cmd)
              return os.execute(cmd)
            end
            shell("id")
            """
        let error = try #require(await runExpectingError(vm, source, chunkName: "@recipe.lua"))
        #expect(error.message.hasPrefix("recipe.lua:2: os.execute is not available"), "\(error.message)")
    }

    @Test func refusalCanBeCaughtWithPcallButNothingLeaks() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: """
                local ok, err = pcall(function() return io.open("/etc/passwd") end)
                return ok, err, rawget(io, "open"), rawget(os, "execute"), getmetatable(io), getmetatable(os)
                """,
            chunkName: "@recipe.lua")
        #expect(results.count == 6)
        #expect(results.first == .bool(false))
        #expect(results[1].stringValue?.hasPrefix("recipe.lua:1: io.open is not available") == true, "\(results)")
        #expect(results[2] == .nil)
        #expect(results[3] == .nil)
        // The refusing metatables are protected, so a recipe cannot remove them.
        #expect(results[4] == .bool(false))
        #expect(results[5] == .bool(false))
    }

    @Test func protectedMetatablesCannotBeReplaced() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "local x\nsetmetatable(io, nil)"))
        #expect(error.message == "t.lua:2: cannot change a protected metatable")
        let osError = try #require(await runExpectingError(vm, "return setmetatable(os, {})"))
        #expect(osError.message == "t.lua:1: cannot change a protected metatable")
    }

    @Test func setmetatableStillChecksItsArguments() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "\nsetmetatable(1, {})"))
        #expect(error.message == "t.lua:2: bad argument #1 to 'setmetatable' (table expected, got number)")
        let results = try await vm.run(
            source: "local t = setmetatable({}, {__index = {x = 1}})\nreturn t.x, getmetatable(setmetatable(t, nil))",
            chunkName: "@t.lua")
        #expect(results == [.int(1), .nil])
    }

    @Test func loadRefusesBytecodeStrings() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, #"local f = load("\27LuaT\0\25\147\r\n\26\n")"#))
        #expect(error.message.hasPrefix("t.lua:1: "), "\(error.message)")
        #expect(error.message.contains("bytecode"), "\(error.message)")
    }

    @Test func loadRefusesBinaryMode() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, #"\#nlocal f = load("return 1", "x", "b")"#))
        #expect(error.message.hasPrefix("t.lua:2: "), "\(error.message)")
        #expect(error.message.contains("bytecode"), "\(error.message)")
    }

    @Test func loadReaderFunctionYieldingBytecodeIsNotLoaded() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: """
                local parts = { "\\27Lua", "T\\0" }
                local i = 0
                local f, err = load(function() i = i + 1; return parts[i] end)
                return f == nil, err
                """,
            chunkName: "@t.lua")
        #expect(results.first == .bool(true))
        #expect(results.last?.stringValue?.contains("binary chunk") == true, "\(results)")
    }

    @Test func loadOfTextStillWorks() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: """
                local env = { x = 41 }
                return load("return 1")(), load("return x + 1", "chunk", "t", env)(), load("return 2", nil, "t")()
                """,
            chunkName: "@t.lua")
        #expect(results == [.int(1), .int(42), .int(2)])
    }

    @Test func loadedTextCannotPassAsAnInternalChunk() async throws {
        // A chunk named "=..." would be skipped when errors name their line; `load` strips the "=".
        let vm = try makeVM(["fail": Primitives.fail])
        let error = try #require(
            await runExpectingError(vm, "local f = load('\\n\\nfail()', '=internal')\nf()"))
        #expect(error.message == #"[string "internal"]:3: bad count"#, "\(error.message)")
    }

    @Test func timeFunctionsOfOSWork() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: """
                return math.type(os.time()), type(os.clock()), os.date("!%Y-%m-%d", 86400),
                  os.difftime(10, 4), os.time{year = 2020, month = 1, day = 1, hour = 12} > 0
                """,
            chunkName: "@t.lua")
        #expect(results == [.string("integer"), .string("number"), .string("1970-01-02"), .number(6), .bool(true)])
    }

    @Test func stringDumpIsGone() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: "return string.dump == nil, (\"\").dump == nil", chunkName: "@t.lua")
        #expect(results == [.bool(true), .bool(true)])
    }

    @Test(arguments: ["coroutine.create(function() end)", "coroutine.wrap(print)", "coroutine.yield()"])
    func coroutinesAreRefused(call: String) async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "local x\nlocal c = \(call)"))
        #expect(error.message.hasPrefix("t.lua:2: coroutine."), "\(error.message)")
        #expect(error.message.contains("not available"), "\(error.message)")
        #expect(error.message.contains("parallel"), "\(error.message)")
    }

    @Test func allowedLibrariesWork() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(
            source: """
                local t = {3, 1, 2}
                table.sort(t)
                return table.concat(t, ","), string.format("%05.1f", math.pi), utf8.len("héllo"),
                  ("abc"):upper(), select("#", 1, 2, 3), tostring(nil), math.maxinteger
                """,
            chunkName: "@t.lua")
        #expect(results == [
            .string("1,2,3"), .string("003.1"), .int(5), .string("ABC"), .int(3), .string("nil"),
            .int(Int64.max),
        ])
    }

    @Test func assigningIntoARefusedLibraryFails() async throws {
        let vm = try LuaVM()
        let error = try #require(await runExpectingError(vm, "\nio.stdout = 1"))
        #expect(error.message == "t.lua:2: io is not available in a recipe (sandbox)", "\(error.message)")
    }
}
