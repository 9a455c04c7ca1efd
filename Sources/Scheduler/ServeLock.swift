import Cloud
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One scheduler per state: an exclusive flock on HOME/serve.lock, which holds the owner's pid.
/// The kernel drops the lock when the process dies, however it dies, and a `recipe serve` that
/// stood by (serving the API) takes it at its next look: the singular work (dispatching events
/// to hooks, timers, failure detection, alarms) runs in one process at a time.
public final class ServeLock: @unchecked Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// The lock, or nil with the pid that holds it.
    static func take(home: URL) throws -> (ServeLock?, owner: String) {
        let path = lockPath(home)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CloudError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let owner = holder(descriptor)
            close(descriptor)
            return (nil, owner)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return (ServeLock(descriptor: descriptor), String(getpid()))
    }

    /// Waits for the lock, looking every `interval`; `standing` is told the holder's pid once.
    static func acquire(home: URL, interval: Duration = .milliseconds(500), standing: (String) -> Void) async throws -> ServeLock {
        var told = false
        while true {
            let (lock, owner) = try take(home: home)
            if let lock { return lock }
            if !told { standing(owner); told = true }
            try await Task.sleep(for: interval)
        }
    }

    /// The pid that runs the scheduler for `home` now, if one does.
    public static func leader(home: URL) -> Int32? {
        let descriptor = open(lockPath(home), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        // a lock we can take is held by nobody
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 { flock(descriptor, LOCK_UN); return nil }
        return Int32(holder(descriptor))
    }

    private static func lockPath(_ home: URL) -> String { home.appendingPathComponent("serve.lock").path }

    private static func holder(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, 31, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
    }

    deinit { close(descriptor) }
}
