import Synchronization

/// A value shared between tasks, read and changed under one lock: the one lock box of the
/// codebase (Synchronization's Mutex, in a class so it can be stored and captured).
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    /// Runs `body` with the value held; what it returns is handed back.
    @discardableResult
    public func withLock<Result: Sendable>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { value in try body(&value) }
    }

    /// A copy of the value as it is now.
    public var value: Value { mutex.withLock { $0 } }
}
