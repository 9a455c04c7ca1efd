import Cloud
import Foundation

/// Starts a Process with every other start in this test run held back: corelibs Foundation's
/// `Process.run()` can crash (a bad memmove inside it) when two threads start processes at once,
/// which parallel end-to-end tests do. Waiting for processes stays parallel.
public enum Launch {
    private static let starting = Locked(())

    public static func run(_ process: Process) throws {
        try starting.withLock { _ in try process.run() }
    }
}
