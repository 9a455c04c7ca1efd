/// An error raised by Lua code or a primitive, with the `file:line:` prefix Lua gave it.
public struct LuaError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case syntax, runtime, memory, timeLimit }

    public let kind: Kind
    /// `path/file.lua:LINE: message`, as the user should see it.
    public let message: String
    /// Lua's stack traceback, shown with `--verbose`.
    public let traceback: String

    public init(kind: Kind, message: String, traceback: String = "") {
        self.kind = kind
        self.message = message
        self.traceback = traceback
    }

    public var description: String { message }
}

/// An error a primitive reports; the trampoline prefixes it with the calling recipe line.
public struct PrimitiveError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
