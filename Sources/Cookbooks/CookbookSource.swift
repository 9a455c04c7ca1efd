import Foundation
import Toolkit

/// Where a cookbook comes from: `git+URL` (its tags are its versions: `v1.2.0` or `1.2.0`),
/// `https://…/NAME-1.2.0.tar.gz` with the archive's SHA-256 (the one version it holds), or
/// `file:PATH` (a folder: the one version its manifest names).
public enum CookbookSource: Sendable, Equatable, CustomStringConvertible {
    case git(String)
    case archive(String, sha256: String)
    case folder(String)

    /// One release a source offers: its version, the tag that names it, and the commit.
    public struct Release: Sendable, Equatable {
        public var version: SemanticVersion
        public var tag: String
        public var commit: String
    }

    /// `sha256`: an archive's (required for https:, refused for the others). Plain http is taken
    /// on loopback only (a mirror on this machine; the tests' server).
    public init(_ text: String, sha256: String? = nil) throws {
        if text.hasPrefix("https://") || text.hasPrefix("http://127.") {
            guard text.hasSuffix(".tar.gz") || text.hasSuffix(".tgz") else { throw CookbookError("'\(text)': an https source is a .tar.gz archive") }
            guard let sha256, sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else {
                throw CookbookError("'\(text)': an archive needs its sha256 (64 hex digits), so that what is fetched is what was reviewed")
            }
            self = .archive(text, sha256: sha256.lowercased())
            return
        }
        guard sha256 == nil else { throw CookbookError("'\(text)': sha256 is for https archives; git and file sources are pinned by the lock") }
        if text.hasPrefix("git+"), text.count > 4 {
            self = .git(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:"), text.count > 5 {
            self = .folder(String(text.dropFirst(5)))
        } else {
            throw CookbookError("'\(text)' is not a cookbook source: say git+URL (tags are versions), https://….tar.gz with its sha256, or file:FOLDER")
        }
    }

    /// The archive's SHA-256, for an https source.
    public var archiveSHA256: String? {
        if case .archive(_, let sha256) = self { return sha256 }
        return nil
    }

    public var description: String {
        switch self {
        case .git(let url): return "git+" + url
        case .archive(let url, _): return url
        case .folder(let path): return "file:" + path
        }
    }

    /// Where a dependency that names no source is looked for: beside this one
    /// (`git+…/team/pg.git` → `git+…/team/disk.git`, `file:…/pg` → `file:…/disk`).
    public func sibling(_ name: String) -> CookbookSource? {
        switch self {
        case .archive:
            return nil  // an archive's name carries its version: a dependency names its own source
        case .git(let url):
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            let parent = base.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            return .git(parent + "/" + name + (base.hasSuffix(".git") ? ".git" : ""))
        case .folder(let path):
            return .folder(URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path)
        }
    }

    /// Every release it offers, newest first.
    public func releases() async throws -> [Release] {
        switch self {
        case .git(let url):
            let listed = try await Tool.run("git", ["ls-remote", "--tags", url])
            guard listed.code == 0 else { throw CookbookError("cannot list the tags of \(description): \(listed.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
            var commits: [String: String] = [:]
            for line in listed.stdout.split(separator: "\n") {
                let parts = line.split(separator: "\t")
                guard parts.count == 2, parts[1].hasPrefix("refs/tags/") else { continue }
                let tag = String(parts[1].dropFirst("refs/tags/".count))
                // an annotated tag's peeled line (^{}) names its commit
                if tag.hasSuffix("^{}") { commits[String(tag.dropLast(3))] = String(parts[0]) } else if commits[tag] == nil { commits[tag] = String(parts[0]) }
            }
            return commits.compactMap { tag, commit in SemanticVersion(tag).map { Release(version: $0, tag: tag, commit: commit) } }
                .sorted { $0.version > $1.version }
        case .folder(let path):
            let manifest = try await CookbookManifest.load(URL(fileURLWithPath: path))
            return [Release(version: manifest.version, tag: "", commit: "")]
        case .archive:
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-cookbook-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: scratch) }
            try await unpack(into: scratch)
            let manifest = try await CookbookManifest.load(scratch)
            return [Release(version: manifest.version, tag: "", commit: "")]
        }
    }

    /// An archive, downloaded, checked against its SHA-256 and unpacked into `folder` (its one
    /// top folder, when it has one, becomes the folder).
    func unpack(into folder: URL) async throws {
        guard case .archive(let url, let sha256) = self else { return }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-archive-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("files"), withIntermediateDirectories: true)
        let archive = scratch.appendingPathComponent("archive.tar.gz")
        let fetched = try await Tool.run("curl", ["-fsSL", "--max-time", "60", "-o", archive.path, url])
        guard fetched.code == 0 else { throw CookbookError("cannot download \(url): \(fetched.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
        let found = try Digest.sha256(of: archive)
        guard found == sha256 else { throw CookbookError("\(url) has sha256 \(found), not \(sha256) as given: refused") }
        try await Tool.check("tar", ["-xzf", archive.path, "-C", scratch.appendingPathComponent("files").path, "--no-same-owner"])
        let entries = try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("files").path)
        var top = scratch.appendingPathComponent("files")
        var isFolder: ObjCBool = false
        if entries.count == 1, FileManager.default.fileExists(atPath: top.appendingPathComponent(entries[0]).path, isDirectory: &isFolder), isFolder.boolValue {
            top = top.appendingPathComponent(entries[0])
        }
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: top, to: folder)
    }

    /// The release's files, without version control, into `folder` (made new).
    public func fetch(_ release: Release, into folder: URL) async throws {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        switch self {
        case .git(let url):
            let cloned = try await Tool.run("git", ["-c", "advice.detachedHead=false", "clone", "--quiet", "--depth", "1", "--branch", release.tag, url, folder.path])
            guard cloned.code == 0 else { throw CookbookError("cannot fetch \(description) at \(release.tag): \(cloned.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
            let head = try await Tool.check("git", ["-C", folder.path, "rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard head == release.commit else {
                throw CookbookError("\(description): tag \(release.tag) is at \(head.prefix(12)) now, not at \(release.commit.prefix(12)) as listed")
            }
            try FileManager.default.removeItem(at: folder.appendingPathComponent(".git"))
        case .folder(let path):
            try FileManager.default.copyItem(at: URL(fileURLWithPath: path), to: folder)
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(".git"))
        case .archive:
            try await unpack(into: folder)
        }
    }
}
