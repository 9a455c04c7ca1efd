/// Lets Swift tasks (the engine applying a plan, the scheduler) run Lua functions of a VM
/// while that VM is running: each call becomes a new coroutine driven by the VM's own loop.
public struct LuaCallbacks: Sendable {
    let sink: AsyncStream<Completion>.Continuation

    /// Runs `function(args...)` as a coroutine with its own time budget and returns its results;
    /// a Lua error comes back as a `LuaError` naming the recipe line. Its primitives read
    /// `context` as `LuaCall.context`.
    public func call(_ function: LuaFunction, _ args: [LuaValue], timeLimit: Double? = nil,
                     context: (any Sendable)? = nil) async throws -> [LuaValue] {
        try await withCheckedThrowingContinuation { continuation in
            if case .terminated = sink.yield(.invoke(function, args, timeLimit: timeLimit, context: context, continuation)) {
                continuation.resume(throwing: LuaError(kind: .runtime, message: "the recipe's VM has ended"))
            }
        }
    }

    /// Starts every invocation as a coroutine of its own, entering the VM once for them all, and
    /// returns at once. `ended` is called on the VM's executor with the outcomes of those that
    /// ended, by index, several at a time: all that ended in one turn of the VM's loop. So a
    /// batch of short hooks costs one hop into the VM and one back, not one each.
    public func start(_ invocations: [LuaInvocation], ended: @escaping LuaBatchEnded) {
        guard !invocations.isEmpty else { return }
        if case .terminated = sink.yield(.invokeAll(invocations, ended)) {
            ended(invocations.indices.map { ($0, .failure(LuaError(kind: .runtime, message: "the recipe's VM has ended"))) })
        }
    }
}

/// How one invocation of a batch ended, by its index in the batch.
public typealias LuaBatchOutcome = (index: Int, result: Result<[LuaValue], LuaError>)
/// Called with the outcomes of a batch's invocations as they end.
public typealias LuaBatchEnded = @Sendable ([LuaBatchOutcome]) -> Void

/// One function of a batch handed to `LuaCallbacks.start`, with its arguments and its budget.
public struct LuaInvocation: Sendable {
    public let function: LuaFunction
    public let args: [LuaValue]
    public let timeLimit: Double?
    /// What its primitives read as `LuaCall.context` (the scheduler's hook-run cause).
    public let context: (any Sendable)?

    public init(_ function: LuaFunction, _ args: [LuaValue], timeLimit: Double? = nil, context: (any Sendable)? = nil) {
        self.function = function
        self.args = args
        self.timeLimit = timeLimit
        self.context = context
    }
}

extension LuaVM {
    public var callbacks: LuaCallbacks { LuaCallbacks(sink: completionSink) }
}
