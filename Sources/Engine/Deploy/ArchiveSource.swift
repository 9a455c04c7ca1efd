import Cloud
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Archives (tar.gz, tar or zip, from a file or over HTTP) and folders as release archives: each is
/// checked against its declared SHA-256, unpacked once, and packed again as a plain tar named by
/// the digest of what was given. A single top folder (as GitHub's archives have) is stripped.
struct ArchiveSource {
    let cache: URL
    let app: String
    /// Bytes an archive may unpack to (the app's `max_size`).
    let maxSize: Int64

    private var archives: URL { cache.appendingPathComponent("archives") }

    /// Streams `url` to disk (the whole download bounded by `within` seconds), then as `file`.
    func download(_ url: URL, sha256: String?, within seconds: Double = 600) async throws -> (sha: String, archive: URL) {
        let downloads = cache.appendingPathComponent("downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let request = URLRequest(url: url, timeoutInterval: 30)
        let (temporary, response): (URL, URLResponse)
        do {
            (temporary, response) = try await bounded(seconds, timeout: URLError(.timedOut)) {
                let (file, response) = try await URLSession.shared.download(for: request)
                // the session removes its file once this returns: keep it under our own name
                let kept = downloads.appendingPathComponent(UUID().uuidString)
                try FileManager.default.moveItem(at: file, to: kept)
                return (kept, response)
            }
        } catch {
            throw CloudError("app \(app): cannot download \(url.absoluteString): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: temporary) }
        if let http = response as? HTTPURLResponse, http.statusCode != 200 {
            throw CloudError("app \(app): GET \(url.absoluteString) answered HTTP \(http.statusCode)")
        }
        return try await file(temporary, sha256: sha256, named: url.absoluteString)
    }

    /// A local archive; its kind is read from its first bytes, not its name.
    func file(_ path: URL, sha256 expected: String?, named name: String? = nil) async throws -> (sha: String, archive: URL) {
        let name = name ?? path.path
        guard FileManager.default.fileExists(atPath: path.path) else { throw CloudError("app \(app): archive \(name) does not exist") }
        let sha = try Digest.sha256(of: path)
        if let expected, expected != sha {
            throw CloudError("app \(app): \(name) has SHA-256 \(sha), not the declared \(expected); nothing was deployed")
        }
        let archive = archives.appendingPathComponent("\(sha).tar")
        if FileManager.default.fileExists(atPath: archive.path) { return (sha, archive) }

        let unpacked = archives.appendingPathComponent("unpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: unpacked) }
        try await unpack(path, named: name, into: unpacked)
        try await pack(Self.root(of: unpacked), as: archive)
        return (sha, archive)
    }

    /// A folder as it is now, named by the SHA-256 of its (reproducible) archive.
    func folder(_ path: String) async throws -> (sha: String, archive: URL) {
        try FileManager.default.createDirectory(at: archives, withIntermediateDirectories: true)
        let part = archives.appendingPathComponent("folder-\(UUID().uuidString).tar")
        try await Tool.check("tar", ["-cf", part.path, "--sort=name", "--mtime=@0", "--owner=0", "--group=0",
                                     "--exclude=__pycache__", "-C", path, "."])
        let sha = try Digest.sha256(of: part)
        let archive = archives.appendingPathComponent("\(sha).tar")
        if FileManager.default.fileExists(atPath: archive.path) {
            try FileManager.default.removeItem(at: part)
        } else {
            try FileManager.default.moveItem(at: part, to: archive)
        }
        return (sha, archive)
    }

    private func pack(_ folder: URL, as archive: URL) async throws {
        let part = archive.path + ".part-\(UUID().uuidString)"
        do {
            try await Tool.check("tar", ["-cf", part, "--sort=name", "-C", folder.path, "."])
        } catch {
            try? FileManager.default.removeItem(atPath: part)  // a full disk keeps nothing half-written
            throw error
        }
        try? FileManager.default.removeItem(at: archive)
        try FileManager.default.moveItem(atPath: part, toPath: archive.path)
    }

    /// The folder releases start from: the only entry, when it is a folder.
    static func root(of folder: URL) throws -> URL {
        let entries = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        guard entries.count == 1 else { return folder }
        let only = folder.appendingPathComponent(entries[0])
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: only.path, isDirectory: &isFolder) && isFolder.boolValue ? only : folder
    }

    static func isZip(_ file: URL) throws -> Bool {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        return try handle.read(upToCount: 4) == Data([0x50, 0x4B, 0x03, 0x04])
    }
}
