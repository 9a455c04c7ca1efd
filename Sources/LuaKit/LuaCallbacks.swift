/// Lets Swift tasks (the engine applying a plan, the scheduler) run Lua functions of a VM
/// while that VM is running: each call becomes a new coroutine driven by the VM's own loop.
public struct LuaCallbacks: Sendable {
    let sink: AsyncStream<Completion>.Continuation

    /// Runs `function(args...)` as a coroutine with its own time budget and returns its results;
    /// a Lua error comes back as a `LuaError` naming the recipe line.
    public func call(_ function: LuaFunction, _ args: [LuaValue], timeLimit: Double? = nil) async throws -> [LuaValue] {
        try await withCheckedThrowingContinuation { continuation in
            if case .terminated = sink.yield(.invoke(function, args, timeLimit: timeLimit, continuation)) {
                continuation.resume(throwing: LuaError(kind: .runtime, message: "the recipe's VM has ended"))
            }
        }
    }
}

extension LuaVM {
    public var callbacks: LuaCallbacks { LuaCallbacks(sink: completionSink) }
}
