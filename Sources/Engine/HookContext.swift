import Store

/// What a hook's coroutine carries for its primitives (`LuaCall.context`): the cause of what it
/// records (a scheduled run's) and where its output goes.
public struct HookContext: Sendable {
    public var cause: EventCause?
    public var output: LogCapture?

    public init(cause: EventCause? = nil, output: LogCapture? = nil) {
        self.cause = cause
        self.output = output
    }
}
