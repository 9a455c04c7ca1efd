import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How full the filesystem holding a path is (statvfs): what `recipe status` warns about, and
/// what a snapshot checks before it writes.
public struct DiskSpace: Sendable, Codable, Equatable {
    /// The path asked about.
    public var path: String
    public var totalBytes: Int64
    /// What an unprivileged writer may still use (root keeps a reserve on some filesystems).
    public var freeBytes: Int64
    /// The filesystem's device, to tell whether two paths share one.
    public var device: UInt64

    /// Used at or above this share (of 100), a filesystem is near full.
    public static let nearFullPercent = 90.0

    public var usedPercent: Double {
        totalBytes > 0 ? Double(totalBytes - freeBytes) / Double(totalBytes) * 100 : 0
    }

    public var nearFull: Bool { usedPercent >= Self.nearFullPercent }

    /// The filesystem of `path`, or of its nearest existing parent; nil when none can be read.
    public static func of(_ path: String) -> DiskSpace? {
        var url = URL(fileURLWithPath: path)
        while !FileManager.default.fileExists(atPath: url.path) && url.path != "/" { url.deleteLastPathComponent() }
        var fs = statvfs()
        var st = stat()
        guard statvfs(url.path, &fs) == 0, stat(url.path, &st) == 0 else { return nil }
        let block = Int64(fs.f_frsize > 0 ? fs.f_frsize : fs.f_bsize)
        return DiskSpace(path: path, totalBytes: Int64(fs.f_blocks) * block, freeBytes: Int64(fs.f_bavail) * block,
                         device: UInt64(st.st_dev))
    }

    /// `97% full (2 MB free)`.
    public var summary: String {
        "\(Int(usedPercent.rounded()))% full (\(Self.size(freeBytes)) free)"
    }

    /// `512 KB`, `2 MB`, `3.1 GB`.
    public static func size(_ bytes: Int64) -> String {
        let mb = Double(bytes) / 1_048_576
        if mb < 1 { return "\(bytes / 1024) KB" }
        if mb < 1024 { return "\(Int(mb.rounded())) MB" }
        return String(format: "%.1f GB", mb / 1024)
    }

    /// Bytes the files under `url` take (their sizes; a folder's own entries are not counted).
    public static func bytes(under url: URL) -> Int64 {
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) else {
            return 0
        }
        var total: Int64 = 0
        for case let file as URL in walker {
            let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if values?.isRegularFile == true { total += Int64(values?.fileSize ?? 0) }
        }
        return total
    }
}
