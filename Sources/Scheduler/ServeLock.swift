import Cloud
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One scheduler per state: an exclusive flock on HOME/serve.lock, which holds the owner's pid.
/// The kernel drops the lock when the process dies, however it dies.
final class ServeLock {
    private let descriptor: Int32

    init(home: URL) throws {
        let path = home.appendingPathComponent("serve.lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CloudError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, 31, 0)
            let owner = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(descriptor)
            throw CloudError("recipe serve is already running for \(home.path) (pid \(owner), holding \(path))")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit { close(descriptor) }
}
