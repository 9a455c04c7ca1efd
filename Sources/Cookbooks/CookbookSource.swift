import Foundation
import Toolkit

/// Where a cookbook comes from: `git+URL` (its tags are its versions: `v1.2.0` or `1.2.0`) or
/// `file:PATH` (a folder: the one version its manifest names).
public enum CookbookSource: Sendable, Equatable, CustomStringConvertible {
    case git(String)
    case folder(String)

    /// One release a source offers: its version, the tag that names it, and the commit.
    public struct Release: Sendable, Equatable {
        public var version: SemanticVersion
        public var tag: String
        public var commit: String
    }

    public init(_ text: String) throws {
        if text.hasPrefix("git+"), text.count > 4 {
            self = .git(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:"), text.count > 5 {
            self = .folder(String(text.dropFirst(5)))
        } else {
            throw CookbookError("'\(text)' is not a cookbook source: say git+URL (tags are versions) or file:FOLDER")
        }
    }

    public var description: String {
        switch self {
        case .git(let url): return "git+" + url
        case .folder(let path): return "file:" + path
        }
    }

    /// Where a dependency that names no source is looked for: beside this one
    /// (`git+…/team/pg.git` → `git+…/team/disk.git`, `file:…/pg` → `file:…/disk`).
    public func sibling(_ name: String) -> CookbookSource {
        switch self {
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
        }
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
        }
    }
}
