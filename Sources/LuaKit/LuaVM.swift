import CLua
import CLuaShim
import Foundation

/// One Lua state, confined to the task that owns it (the type is not Sendable).
///
/// Lua is entered only through `lua_pcall` with a traceback handler or `lua_resume`;
/// primitives are Swift closures reached through C trampolines that raise or yield
/// after the Swift frame has returned (DESIGN.md, section 2).
public final class LuaVM {
    let L: OpaquePointer
    public let options: LuaOptions
    /// The budget of each following `run` (the options' to begin with); a host that keeps the VM
    /// running for hooks, each with its own budget, clears it.
    public var timeLimit: Double?
    // Read on every bridged call from one thread only; the dynamic exclusivity check would cost ~5%.
    @exclusivity(unchecked) var primitives: [LuaPrimitive] = []
    /// Registry reference of the table handed to preludes as `...`: the registered primitives.
    let primitiveTable: Int32
    var scheduler = Scheduler()
    /// The text of every file chunk loaded ("@path" → source), for errors that name a line of it.
    var chunkTexts: [String: String] = [:]
    let completions: AsyncStream<Completion>
    let completionSink: AsyncStream<Completion>.Continuation

    public init(options: LuaOptions = LuaOptions()) throws {
        guard let state = cr_newstate(options.memoryLimit) else {
            throw LuaError(kind: .memory, message: "cannot create a Lua state")
        }
        L = state
        self.options = options
        timeLimit = options.timeLimit
        (completions, completionSink) = AsyncStream.makeStream(of: Completion.self)
        cr_open_sandbox_libs(state)
        cr_set_time_slice(state, options.timeSlice ?? 0)
        cr_newtable(state)
        cr_set_prelude_helpers(state, -1)  // raise, located, stopped, error: see Sandbox.prelude
        if let library = options.libraryRoot { cr_set_library(state, "@" + DisplayPath.of(library) + "/") }
        primitiveTable = cr_ref(state)
        cr_set_host(state, Unmanaged.passUnretained(self).toOpaque())
        cr_set_dispatcher { state, id in
            guard let state, let host = cr_get_host(state) else { return CR_RAISE_LOCATED }
            return Unmanaged<LuaVM>.fromOpaque(host).takeUnretainedValue().dispatch(state, id)
        }
        register("parallel") { [unowned self] call in try self.parallel(call) }
        register("load_module") { [unowned self] call in try self.loadModule(call) }
        register("load_library") { [unowned self] call in try self.loadLibrary(call) }
        register("load_internal") { [unowned self] call in try self.loadInternal(call) }
        try runPrelude(Sandbox.prelude, chunkName: "=sandbox")
    }

    deinit {
        for task in scheduler.tasks.values { task.cancel() }
        completionSink.finish()
        cr_close(L)
    }

    /// Bytes the VM holds now.
    public var memoryUsed: Int { cr_memory_used(L) }

    /// Adds `fn` to the primitive table that preludes receive as `...`. Besides the registered
    /// primitives that table holds `parallel`, `load_module`, `load_library`, `require_library`,
    /// `requirer` (makes a `require` over another loader), `load_internal` and four C helpers:
    /// `raise(msg)` (an error located at the nearest recipe line), `located(f)` (wraps a prelude
    /// function so that a recipe's `return f(...)` tail call keeps the recipe line in errors),
    /// `stopped()` and `error` (Lua's, whose blame of a caller passes over library frames).
    public func register(_ name: String, _ fn: @escaping LuaPrimitive) {
        primitives.append(fn)
        cr_getref(L, primitiveTable)
        cr_push_primitive(L, Int64(primitives.count - 1))
        lua_setfield(L, -2, name)
        cr_pop(L, 1)
    }

    /// Sets a global variable to a plain value.
    public func setGlobal(_ name: String, _ value: LuaValue) {
        push(value, on: L)
        lua_setglobal(L, name)
    }

    /// Runs an internal chunk (no yields) with the primitive table as its argument, and returns
    /// what it returns. Chunk names starting with "=" mark code whose frames errors skip when
    /// they name a line.
    @discardableResult
    public func runPrelude(_ source: String, chunkName: String) throws -> LuaValue {
        try loadText(source, chunkName: chunkName, on: L)
        cr_getref(L, primitiveTable)
        let status = cr_pcall_traceback(L, 1, 1)
        if status != LUA_OK {
            // The handler appended the traceback to the message: split them as run() does.
            let traceback = string(at: -1, in: L)
            cr_pop(L, 1)
            let message = traceback.range(of: "\nstack traceback:").map { String(traceback[..<$0.lowerBound]) } ?? traceback
            throw LuaError(kind: status == LUA_ERRMEM ? .memory : .runtime, message: message, traceback: traceback)
        }
        defer { cr_pop(L, 1) }
        return value(at: -1, in: L)
    }

    /// Loads text (never bytecode) and pushes the chunk, or throws its syntax error.
    func loadText(_ source: String, chunkName: String, on state: OpaquePointer) throws {
        if chunkName.hasPrefix("@") { chunkTexts[chunkName] = source }
        let status = source.utf8CString.withUnsafeBufferPointer { buffer in
            cr_loadtext(state, buffer.baseAddress, buffer.count - 1, chunkName)
        }
        if status != LUA_OK {
            let message = String(cString: cr_tostring(state, -1, nil))
            cr_pop(state, 1)
            throw LuaError(kind: .syntax, message: message)
        }
    }

    /// Loads a recipe file as a function named by `displayPath`, without running it.
    public func loadFile(_ url: URL, displayPath: String) throws -> LuaFunction {
        try loadText(try Self.source(of: url, displayPath: displayPath), chunkName: "@" + displayPath, on: L)
        return LuaFunction(ref: cr_ref(L))
    }

    /// Runs a function as the main coroutine, driving every coroutine it starts.
    public func run(_ function: LuaFunction, args: [LuaValue] = []) async throws -> [LuaValue] {
        try await call(function: function.ref, args: args)
    }

    /// A recipe file's text; a file that cannot be read is an error naming `displayPath`.
    private static func source(of url: URL, displayPath: String) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw LuaError(kind: .runtime, message: "\(displayPath): cannot read: \(error.localizedDescription)")
        }
    }

    /// Loads `source` and runs it as the main coroutine, driving every coroutine it starts.
    public func run(source: String, chunkName: String, args: [LuaValue] = []) async throws -> [LuaValue] {
        try loadText(source, chunkName: chunkName, on: L)
        let function = cr_ref(L)
        defer { cr_unref(L, function) }
        return try await call(function: function, args: args)
    }
}
