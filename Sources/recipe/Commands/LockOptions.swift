import ArgumentParser
import Engine

/// `--lock-timeout`, for the commands that change a cluster and so take its lock.
struct LockOptions: ParsableArguments {
    @Option(name: .long, help: "Seconds to wait for a cluster another command has locked (default 0: fail at once, naming it).")
    var lockTimeout: Double = 0

    /// The wait as the API takes it (`lock_timeout`, whole seconds), for a change made through it.
    func query() throws -> [String: String?] {
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout must not be negative") }
        return lockTimeout > 0 ? ["lock_timeout": String(Int(lockTimeout.rounded(.up)))] : [:]
    }

    /// Sets this process's wait, and has a broken stale lock said on stderr.
    func apply() throws {
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout must not be negative") }
        ClusterLocks.shared.timeout.withLock { $0 = lockTimeout }
        ClusterLocks.shared.notice.withLock { $0 = { Terminal.error("recipe: " + $0) } }
    }
}
