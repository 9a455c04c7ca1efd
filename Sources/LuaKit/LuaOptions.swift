import Foundation

/// Limits and search roots of one VM.
public struct LuaOptions: Sendable {
    /// Bytes the VM may allocate; 512 MiB unless set.
    public var memoryLimit: Int
    /// Seconds a run may take before it is stopped; nil for none.
    public var timeLimit: Double?
    /// Folders `require` searches, in order.
    public var moduleRoots: [URL]

    public init(memoryLimit: Int = 512 << 20, timeLimit: Double? = nil, moduleRoots: [URL] = []) {
        self.memoryLimit = memoryLimit
        self.timeLimit = timeLimit
        self.moduleRoots = moduleRoots
    }
}
