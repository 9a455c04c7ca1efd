import Cloud
import Foundation

/// Fetches a ref of a git source into a bare cache (one per source) and exports the commit as a
/// tar archive, named by its SHA, that releases are unpacked from.
struct GitSource {
    let cache: URL

    /// Resolves `ref` (git+URL or git+file:PATH) and returns the commit and the archive of its tree.
    func export(source: String, ref: String, app: String) async throws -> (sha: String, archive: URL) {
        var url = String(source.dropFirst(4))
        if url.hasPrefix("file:") { url = URL(fileURLWithPath: String(url.dropFirst(5))).standardizedFileURL.path }
        let repo = cache.appendingPathComponent("git").appendingPathComponent(Self.key(url) + ".git")
        try FileManager.default.createDirectory(at: repo.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: repo.path) {
            let cloned = try await Tool.run("git", ["clone", "--quiet", "--bare", url, repo.path])
            guard cloned.code == 0 else { throw CloudError("app \(app): cannot fetch \(source): \(cloned.stderr.trimmed)") }
        } else {
            let fetched = try await Tool.run("git", ["-C", repo.path, "fetch", "--quiet", "--force", "--tags", "origin",
                                                     "+refs/heads/*:refs/heads/*"])
            guard fetched.code == 0 else { throw CloudError("app \(app): cannot fetch \(source): \(fetched.stderr.trimmed)") }
        }
        let resolved = try await Tool.run("git", ["-C", repo.path, "rev-parse", "--verify", "--quiet", "\(ref)^{commit}"])
        let sha = resolved.stdout.trimmed
        guard resolved.code == 0, sha.count == 40 else { throw CloudError("app \(app): ref '\(ref)' is not in \(source)") }
        let archive = cache.appendingPathComponent("archives").appendingPathComponent("\(sha).tar")
        if !FileManager.default.fileExists(atPath: archive.path) {
            try FileManager.default.createDirectory(at: archive.deletingLastPathComponent(), withIntermediateDirectories: true)
            try await Tool.check("git", ["-C", repo.path, "archive", "--format=tar", "-o", archive.path + ".part", sha])
            try FileManager.default.moveItem(atPath: archive.path + ".part", toPath: archive.path)
        }
        return (sha, archive)
    }

    static func key(_ url: String) -> String {
        String(url.map { $0.isLetter || $0.isNumber ? $0 : "_" }.suffix(80))
    }
}
