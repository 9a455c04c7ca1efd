import Foundation

/// An exclusive flock on a file of its own (created 0600), held until the descriptor is closed:
/// what keeps two processes from the same read-change-write (the Store's first migration, the
/// memory provider's inventory).
public enum FileLock {
    /// Waits for the lock; the descriptor to `release`.
    public static func exclusive(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CloudError("cannot open \(path): \(String(cString: strerror(errno)))") }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(descriptor)
                throw CloudError("cannot lock \(path): \(String(cString: strerror(errno)))")
            }
        }
        return descriptor
    }

    public static func release(_ descriptor: Int32) {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
