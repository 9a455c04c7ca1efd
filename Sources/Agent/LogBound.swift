import Cloud
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps a log file (a service's, or the agent's own) under a size: once past it, the file is
/// copied to `NAME.1` (replacing the older part) and emptied in place, with a marker line. The
/// writers keep their descriptors: they append, so their next line lands at the new end.
enum LogBound {
    /// Bytes a log may reach: `RECIPE_LOG_MAX` (bytes, or with k, m or g), else 10 MB.
    static let maxBytes: Int64 = parse(ProcessInfo.processInfo.environment["RECIPE_LOG_MAX"]) ?? 10 << 20

    static func parse(_ text: String?) -> Int64? {
        guard var text = text?.lowercased().trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        var unit: Int64 = 1
        if let last = text.last, let shift = ["k": 10, "m": 20, "g": 30][last] {
            unit = 1 << Int64(shift)
            text.removeLast()
        }
        guard let value = Int64(text), value > 0 else { return nil }
        return value * unit
    }

    /// Trims `path` when it is past `max` bytes; answers whether it did.
    @discardableResult
    static func trim(_ path: String, max: Int64 = maxBytes) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int64(st.st_size) > max else { return false }
        let older = path + ".1"
        let name = URL(fileURLWithPath: path).lastPathComponent
        let kept: String
        if copy(path, to: older) {
            kept = "the part before is in \(name).1"
        } else {
            unlink(older)  // a partial copy (no room for it) is worth nothing
            kept = "the part before was dropped: no room to keep it"
        }
        guard truncate(path, 0) == 0 else { return false }
        let stamp = ISO8601DateFormatter().string(from: Date())
        append("[\(stamp) recipe-agent: \(name) passed \(DiskSpace.size(max)); \(kept)]\n", to: path)
        return true
    }

    /// Appends `text` to `path`, ignoring failure (a full disk must not stop the writer).
    static func append(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        write(fd, text)
    }

    /// Writes all of `text` to `fd`, or gives up at the first error (answering false).
    @discardableResult
    static func write(_ fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    /// Copies `source` to `target` (replaced), in 64 KB pieces; false on any error.
    static func copy(_ source: String, to target: String) -> Bool {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { return false }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return false }
            if n == 0 { return true }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + written, n - written) }
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { return false }
                written += w
            }
        }
    }
}
