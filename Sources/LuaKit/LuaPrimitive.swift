import CLua
import CLuaShim

/// What a primitive hands back to its trampoline. Nothing here raises: the trampoline does,
/// after the Swift frame has returned.
public enum LuaReturn {
    /// Return these values to Lua.
    case values([LuaValue])
    /// Return one value (the common case, without an array).
    case value(LuaValue)
    /// The primitive pushed this many values onto the stack itself.
    case pushed(Int32)
    /// Yield the calling coroutine and resume it with the result when the task ends.
    case async(@Sendable () async throws -> [LuaValue])
    /// Yield; the primitive has arranged for the coroutine to be resumed.
    case suspend
}

/// A Swift function callable from Lua. Throwing a `PrimitiveError` raises a Lua error located
/// at the calling recipe line.
public typealias LuaPrimitive = (LuaCall) throws -> LuaReturn

/// The arguments of one primitive call, read from the calling coroutine's stack.
public struct LuaCall {
    // A call never outlives its VM: no reference counting on the bridged-call path.
    public unowned(unsafe) let vm: LuaVM
    public let state: OpaquePointer

    /// Seconds left in the calling coroutine's budget (its own, as a hook, or the run's), nil when
    /// it has none: what a primitive that waits on the outside world may still spend.
    public var timeLeft: Double? {
        let own = vm.scheduler.byThread[state].flatMap { vm.scheduler.coroutines[$0]?.deadline }
        let run = cr_deadline(vm.L)
        let deadlines = [own, run > 0 ? run : nil].compactMap { $0 }
        return deadlines.min().map { max(0, $0 - cr_monotonic_now()) }
    }

    /// What the calling coroutine was started with from Swift (`LuaInvocation.context`), if anything.
    public var context: (any Sendable)? {
        vm.scheduler.byThread[state].flatMap { vm.scheduler.coroutines[$0]?.context }
    }

    /// How many arguments Lua passed.
    public var count: Int { Int(lua_gettop(state)) }

    /// Argument `index` (1-based) as a Swift value.
    public func arg(_ index: Int) -> LuaValue {
        index <= count ? vm.value(at: Int32(index), in: state) : .nil
    }

    /// Argument `index`, which must be a table, named `what` in the error.
    public func table(_ index: Int, _ what: String) throws -> LuaTable {
        let value = arg(index)
        guard case .table(let t) = value else {
            throw PrimitiveError("\(what): expected a table, got \(value.typeName)")
        }
        return t
    }

    /// The recipe line that made this call (the nearest frame of a file chunk, as errors name it):
    /// its path as errors show it, the line, and the file's text as it was loaded.
    public var caller: (path: String, line: Int, text: String?)? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let line = cr_recipe_frame(state, &buffer, buffer.count)
        let chunk = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard line > 0, chunk.hasPrefix("@") else { return nil }
        return (String(chunk.dropFirst()), Int(line), vm.chunkTexts[chunk])
    }

    public func string(_ index: Int, _ what: String) throws -> String {
        let value = arg(index)
        guard case .string(let s) = value else {
            throw PrimitiveError("\(what): expected a string, got \(value.typeName)")
        }
        return s
    }
}
