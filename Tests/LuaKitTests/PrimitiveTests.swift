import Foundation
import Testing
@testable import LuaKit

/// Swift primitives reached from Lua: values in and out, and errors located at the recipe line.
@Suite struct PrimitiveTests {
    @Test func registeredPrimitiveIsReachableFromThePrelude() async throws {
        let vm = try LuaVM()
        vm.register("add") { call in .values([.int(call.arg(1).intValue! + call.arg(2).intValue!)]) }
        try vm.runPrelude("local prim = ... ; add = prim.add", chunkName: "=test")
        let results = try await vm.run(source: "return add(2, 3), add(40, 2.0)", chunkName: "@t.lua")
        #expect(results == [.int(5), .int(42)])
    }

    @Test func primitivesAreNotGlobalsUnlessAPreludeSaysSo() async throws {
        let vm = try LuaVM()
        vm.register("add", Primitives.add)
        let results = try await vm.run(source: "return add == nil, load_module == nil", chunkName: "@t.lua")
        #expect(results == [.bool(true), .bool(true)])
    }

    @Test func argumentsAndResultsCrossIntact() async throws {
        let vm = try makeVM([
            "echo": { call in .values((0..<call.count).map { call.arg($0 + 1) }) },
            "count": { call in .values([.int(Int64(call.count))]) },
        ])
        let results = try await vm.run(
            source: """
                return count(), count(nil, nil), echo(1, 2.5, "s", true, nil, {1, 2, k = {x = "y"}})
                """,
            chunkName: "@t.lua")
        #expect(results == [
            .int(0), .int(2), .int(1), .number(2.5), .string("s"), .bool(true), .nil,
            .table(LuaTable(array: [1, 2], fields: ["k": .table(LuaTable(fields: ["x": "y"]))])),
        ])
    }

    @Test func functionsArriveAsOpaqueValues() async throws {
        let vm = try makeVM(["kind": { call in .values([.string(call.arg(1).typeName)]) }])
        let results = try await vm.run(source: "return kind(print), kind(function() end)", chunkName: "@t.lua")
        #expect(results == [.string("function"), .string("function")])
    }

    @Test func primitiveErrorIsLocatedAtTheCallingLine() async throws {
        let vm = try makeVM(["fail": Primitives.fail])
        let error = try #require(await runExpectingError(vm, "local a = 1\nlocal b = 2\nfail(a, b)\n"))
        #expect(error.kind == .runtime)
        #expect(error.message == "t.lua:3: bad count")
        #expect(error.traceback.contains("stack traceback"), "\(error.traceback)")
    }

    @Test func primitiveErrorThroughAPreludeWrapperNamesTheRecipeLine() async throws {
        let vm = try LuaVM()
        vm.register("fail", Primitives.fail)
        try vm.runPrelude(
            """
            local prim = ...
            local function inner(n)
              return prim.fail(n)
            end
            function scale(n)
              local r = inner(n)
              return r
            end
            """,
            chunkName: "=test")
        let source = """
            local function helper()
              local r = scale(3) -- line 2
              return r
            end
            helper()
            """
        let error = try #require(await runExpectingError(vm, source))
        #expect(error.message == "t.lua:2: bad count")
    }

    @Test func locatedWrapperKeepsTheRecipeLineThroughATailCall() async throws {
        let vm = try LuaVM()
        vm.register("fail", Primitives.fail)
        try vm.runPrelude(
            "local prim = ...\nscale = prim.located(function(n)\n  local r = prim.fail(n)\n  return r\nend)",
            chunkName: "=test")
        // `return scale(3)` is a tail call: without `located` the recipe frame of line 2 would be gone.
        let source = "local function helper()\n  return scale(3)\nend\nlocal x = helper()\nreturn x"
        let error = try #require(await runExpectingError(vm, source))
        #expect(error.message == "t.lua:2: bad count")
    }

    @Test func locatedWrapperPassesArgumentsResultsAndYields() async throws {
        let vm = try LuaVM()
        vm.register("sleep", Primitives.sleep)
        try vm.runPrelude(
            "local prim = ...\nnap = prim.located(function(...) local a, b = prim.sleep(0.01, ...) return a, b, select('#', ...) end)",
            chunkName: "=test")
        let results = try await vm.run(source: "return nap('x', nil)", chunkName: "@t.lua")
        #expect(results == [.string("x"), .nil, .int(2)])
    }

    @Test func raiseHelperNamesTheRecipeLine() async throws {
        let vm = try LuaVM()
        try vm.runPrelude(
            "local prim = ...\nfunction need(x) if not x then prim.raise('need: a value is required') end return x end",
            chunkName: "=test")
        let error = try #require(await runExpectingError(vm, "local v = 1\nlocal w = need(nil)"))
        #expect(error.message == "t.lua:2: need: a value is required")
    }

    @Test func wrapperInANonInternalChunkIsNamedItself() async throws {
        let vm = try LuaVM()
        vm.register("fail", Primitives.fail)
        try vm.runPrelude("local prim = ...\n\nfunction scale(n) return prim.fail(n) end", chunkName: "@lib/scale.lua")
        let error = try #require(await runExpectingError(vm, "scale(1)"))
        #expect(error.message == "lib/scale.lua:3: bad count")
    }

    @Test func pcallCatchesAPrimitiveError() async throws {
        let vm = try makeVM(["fail": Primitives.fail])
        let results = try await vm.run(
            source: "local ok, err = pcall(fail)\nlocal ok2, err2 = pcall(function()\n  fail()\nend)\nreturn ok, err, ok2, err2",
            chunkName: "@t.lua")
        // pcall(fail) calls the primitive straight from C, so the nearest recipe line is pcall's.
        #expect(results == [.bool(false), .string("t.lua:1: bad count"), .bool(false), .string("t.lua:3: bad count")])
    }

    @Test func argumentHelpersReportTheWrongType() async throws {
        let vm = try makeVM([
            "greet": { call in .values([.string("hi " + (try call.string(1, "greet")))]) },
            "size": { call in .values([.int(Int64(try call.table(1, "size").array.count))]) },
        ])
        #expect(try await vm.run(source: "return greet('bob'), size({1, 2})", chunkName: "@t.lua")
            == [.string("hi bob"), .int(2)])
        let e1 = try #require(await runExpectingError(vm, "\ngreet(42)"))
        #expect(e1.message == "t.lua:2: greet: expected a string, got number")
        let e2 = try #require(await runExpectingError(vm, "size('x')"))
        #expect(e2.message == "t.lua:1: size: expected a table, got string")
    }

    @Test func otherSwiftErrorsAreLocatedToo() async throws {
        struct Oops: Error, CustomStringConvertible { var description: String { "oops happened" } }
        let vm = try makeVM(["oops": { _ in throw Oops() }])
        let error = try #require(await runExpectingError(vm, "\n\noops()"))
        #expect(error.message == "t.lua:3: oops happened")
    }

    @Test func aThrownLuaErrorIsRaisedAsItIs() async throws {
        let vm = try makeVM(["raw": { _ in throw LuaError(kind: .runtime, message: "elsewhere.lua:9: raw failure") }])
        let error = try #require(await runExpectingError(vm, "raw()"))
        #expect(error.message == "elsewhere.lua:9: raw failure")
    }

    @Test func asyncPrimitiveResumesWithItsValues() async throws {
        let vm = try makeVM([
            "fetch": { call in
                let key = call.arg(1)
                return .async {
                    try await Task.sleep(nanoseconds: 5_000_000)
                    return [.string("value of \(key)"), .int(7), .table(LuaTable(array: [1, 2]))]
                }
            },
        ])
        let results = try await vm.run(
            source: """
                local a, b, c = fetch("k")
                local total = 0
                for i = 1, 20 do local _, n = fetch(i) total = total + n end
                return a, b, #c, total
                """,
            chunkName: "@t.lua")
        #expect(results == [.string("value of k"), .int(7), .int(2), .int(140)])
    }

    @Test func asyncPrimitiveWithNoValuesReturnsNothing() async throws {
        let vm = try makeVM(["sleep": Primitives.sleep])
        let results = try await vm.run(source: "return select('#', sleep(0.001))", chunkName: "@t.lua")
        #expect(results == [.int(0)])
    }

    @Test func asyncPrimitiveErrorIsLocated() async throws {
        let vm = try makeVM(["fetch_fail": Primitives.fetchFail])
        let error = try #require(await runExpectingError(vm, "local x = 1\nfetch_fail('fetch failed')\nreturn x"))
        #expect(error.kind == .runtime)
        #expect(error.message == "t.lua:2: fetch failed")
    }

    @Test func asyncPrimitiveErrorThroughAPreludeWrapperNamesTheRecipeLine() async throws {
        let vm = try LuaVM()
        vm.register("fetch_fail", Primitives.fetchFail)
        try vm.runPrelude(
            "local prim = ...\nfunction fetch(x)\n  local v = prim.fetch_fail(x)\n  return v\nend", chunkName: "=test")
        let error = try #require(await runExpectingError(vm, "\n\n\nfetch('no route')"))
        #expect(error.message == "t.lua:4: no route")
    }

    @Test func pcallCatchesAnAsyncPrimitiveError() async throws {
        let vm = try makeVM(["fetch_fail": Primitives.fetchFail, "sleep": Primitives.sleep])
        let results = try await vm.run(
            source: """
                local ok, err = pcall(function()
                  fetch_fail("timeout")
                end)
                local after = sleep(0.001, "continued")
                return ok, err, after
                """,
            chunkName: "@t.lua")
        #expect(results == [.bool(false), .string("t.lua:2: timeout"), .string("continued")])
    }

    @Test func asyncPrimitiveThrowingALuaErrorKeepsItsMessage() async throws {
        let vm = try makeVM([
            "remote": { _ in .async { throw LuaError(kind: .runtime, message: "hook.lua:5: remote failed") } },
        ])
        let error = try #require(await runExpectingError(vm, "remote()"))
        #expect(error.message == "hook.lua:5: remote failed")
    }

    @Test func asyncPrimitiveOutsideARunIsRefused() throws {
        let vm = try LuaVM()
        vm.register("sleep", Primitives.sleep)
        #expect {
            try vm.runPrelude("local prim = ...\nprim.sleep(0)", chunkName: "@setup.lua")
        } throws: { error in
            (error as? LuaError)?.message.hasPrefix("setup.lua:2: this primitive can only run inside a recipe or hook") == true
        }
    }

    @Test func setGlobalIsVisibleToRecipes() async throws {
        let vm = try LuaVM()
        vm.setGlobal("config", .table(LuaTable(array: ["a"], fields: ["n": 3])))
        let results = try await vm.run(source: "return config.n, config[1]", chunkName: "@t.lua")
        #expect(results == [.int(3), .string("a")])
    }

    @Test func runPassesArguments() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(source: "local a, b = ...\nreturn b, a", chunkName: "@t.lua", args: [1, "two"])
        #expect(results == [.string("two"), .int(1)])
    }

    @Test func preludeErrorsAreThrown() throws {
        let vm = try LuaVM()
        #expect {
            try vm.runPrelude("error('broken prelude')", chunkName: "@p.lua")
        } throws: { error in
            guard let error = error as? LuaError else { return false }
            return error.kind == .runtime && error.message == "p.lua:1: broken prelude"
                && error.traceback.contains("stack traceback")
        }
        #expect {
            try vm.runPrelude("local = 1", chunkName: "@p.lua")
        } throws: { error in
            (error as? LuaError)?.kind == .syntax
        }
    }
}
