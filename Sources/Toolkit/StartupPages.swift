import Foundation

/// What a long-lived process maps from files and touched only while it started (the loader's
/// relocation tables, Foundation's and the runtime's first-use paths): handed back to the kernel
/// once, with MADV_PAGEOUT over its read-only and executable file mappings. The kernel skips pages
/// another process also maps, and what the process runs later comes back on first touch, so this
/// costs a few page faults and leaves the idle working set resident.
public enum StartupPages {
    /// Returns how many bytes of mappings were offered (0 where /proc or MADV_PAGEOUT is missing).
    @discardableResult
    public static func release() -> Int {
        #if os(Linux)
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return 0 }
        var offered = 0
        for line in maps.split(separator: "\n") {
            // 7f00-7f80 r-xp 00000000 fe:00 1234   /usr/lib/libc.so.6
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[5].hasPrefix("/"), !fields[1].contains("w") else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt(String($0), radix: 16) }
            guard bounds.count == 2, bounds[1] > bounds[0], let start = UnsafeMutableRawPointer(bitPattern: bounds[0]) else { continue }
            if madvise(start, Int(bounds[1] - bounds[0]), pageOut) == 0 { offered += Int(bounds[1] - bounds[0]) }
        }
        return offered
        #else
        return 0
        #endif
    }

    /// Linux 5.4's MADV_PAGEOUT (older kernels refuse it with EINVAL, and nothing changes).
    static let pageOut: Int32 = 21
}
