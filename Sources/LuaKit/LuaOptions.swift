import Foundation

/// Limits and search roots of one VM.
public struct LuaOptions: Sendable {
    /// Bytes the VM may allocate; 512 MiB unless set.
    public var memoryLimit: Int
    /// Seconds a run may take before it is stopped; nil for none.
    public var timeLimit: Double?
    /// Seconds a coroutine runs before it yields to the others (resumed after them), so one busy
    /// hook cannot hold up the rest; nil never preempts.
    public var timeSlice: Double?
    /// Folders `require` searches, in order.
    public var moduleRoots: [URL]
    /// The modules a prelude loads with `prim.load_internal(name)`; `require` never finds them.
    public var internalModules: InternalModules?
    /// The folder of the modules shipped with the tool (Stdlib): `prim.require_library` searches
    /// it alone, so what the prelude requires is never a file of the recipe's.
    public var libraryRoot: URL?

    public init(memoryLimit: Int = 512 << 20, timeLimit: Double? = nil, timeSlice: Double? = 0.005, moduleRoots: [URL] = [],
                internalModules: InternalModules? = nil, libraryRoot: URL? = nil) {
        self.memoryLimit = memoryLimit
        self.timeLimit = timeLimit
        self.timeSlice = timeSlice
        self.moduleRoots = moduleRoots
        self.internalModules = internalModules
        self.libraryRoot = libraryRoot
    }
}

/// A folder of a prelude's own modules: `FOLDER/NAME.lua` loads as the internal chunk
/// `=CHUNKPREFIX/NAME.lua`, whose frames errors skip when they name a line (as the prelude's), so
/// a mistake caught inside one names the recipe line that called into it.
public struct InternalModules: Sendable {
    public var folder: URL
    /// How the folder is named in chunk names and tracebacks, such as "Stdlib/recipe".
    public var chunkPrefix: String

    public init(folder: URL, chunkPrefix: String) {
        self.folder = folder
        self.chunkPrefix = chunkPrefix
    }
}
