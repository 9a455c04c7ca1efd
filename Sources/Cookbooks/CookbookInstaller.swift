import Foundation

/// `recipe cookbook install`: resolves a folder's `cookbooks.lua` (every range, transitively),
/// fetches what it chose into the home's cache and writes `cookbooks.lock`. With a lock that
/// covers the requirements it installs exactly what is locked, from the cache when the files are
/// there (offline), and refuses a tag that moved or files that differ from their digest.
public struct CookbookInstaller: Sendable {
    public let folder: URL
    public let home: URL

    public init(folder: URL, home: URL) { (self.folder, self.home) = (folder, home) }

    public enum Outcome: Sendable, Equatable {
        /// The lock was kept: every cookbook is installed as locked. `fetched`: how many came from their sources.
        case locked(CookbookLock, fetched: Int)
        /// A new lock was resolved and written.
        case resolved(CookbookLock)
    }

    /// `frozen`: refuse to change the lock (CI).
    public func install(frozen: Bool) async throws -> Outcome {
        guard let requirements = try await CookbookRequirements.load(folder) else {
            throw CookbookError("no \(CookbookRequirements.fileName) in \(folder.path): `recipe cookbook add NAME SOURCE[@RANGE]` makes one")
        }
        let existing = try CookbookLock.load(folder)
        if let existing, existing.gap(requirements) == nil {
            return .locked(existing, fetched: try await installLocked(existing))
        }
        if frozen {
            let why = existing?.gap(requirements) ?? "there is no \(CookbookLock.fileName)"
            throw CookbookError("\(CookbookLock.fileName) does not cover \(CookbookRequirements.fileName): \(why); run `recipe cookbook install` without --frozen and commit the lock")
        }
        // what the old lock pinned stays as it was, where the ranges still take it
        let lock = try await resolve(requirements, keeping: Self.pins(existing))
        try lock.write(to: folder)
        return .resolved(lock)
    }

    /// `recipe cookbook update [NAME]`: resolves again, moving NAME (or every cookbook) to the
    /// newest release its ranges take, and keeping the others where the lock had them.
    public func update(_ name: String?) async throws -> (before: CookbookLock?, after: CookbookLock) {
        guard let requirements = try await CookbookRequirements.load(folder) else {
            throw CookbookError("no \(CookbookRequirements.fileName) in \(folder.path): `recipe cookbook add NAME SOURCE[@RANGE]` makes one")
        }
        let existing = try CookbookLock.load(folder)
        if let name, !(existing?.cookbooks.contains { $0.name == name } ?? false) {
            throw CookbookError("\(name) is not in \(CookbookLock.fileName): it locks \(existing?.cookbooks.map(\.name).joined(separator: ", ") ?? "nothing yet")")
        }
        var pins = Self.pins(existing)
        if let name { pins[name] = nil } else { pins = [:] }
        let lock = try await resolve(requirements, keeping: pins)
        try lock.write(to: folder)
        return (existing, lock)
    }

    /// For each locked cookbook: its version, the newest its ranges take, and the newest of all.
    public func outdated() async throws -> [(name: String, locked: String, inRange: String, newest: String)] {
        guard let lock = try CookbookLock.load(folder) else { throw CookbookError("no \(CookbookLock.fileName) in \(folder.path): run `recipe cookbook install`") }
        let requirements = try await CookbookRequirements.load(folder)
        var rows: [(String, String, String, String)] = []
        for entry in lock.cookbooks {
            let releases = try await CookbookSource(entry.source, sha256: entry.archive).releases()
            var ranges = requirements?.entries.filter { $0.name == entry.name }.map(\.range) ?? []
            for dependent in lock.cookbooks where entry.requiredBy.contains(dependent.name) {
                let manifest = try await CookbookManifest.load(CookbookLock.cached(dependent, home: home))
                ranges += manifest.depends.filter { $0.name == entry.name }.map(\.range)
            }
            let inRange = releases.first { release in ranges.allSatisfy { $0.contains(release.version) } }
            rows.append((entry.name, entry.version, inRange?.version.description ?? "none", releases.first?.version.description ?? "none"))
        }
        return rows
    }

    static func pins(_ lock: CookbookLock?) -> [String: String] {
        Dictionary((lock?.cookbooks ?? []).map { ($0.name, $0.version) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every locked cookbook into the cache, as locked; answers how many were fetched.
    func installLocked(_ lock: CookbookLock) async throws -> Int {
        var fetched = 0
        for entry in lock.cookbooks {
            let folder = CookbookLock.cached(entry, home: home)
            if (try? ContentDigest.of(folder)) == entry.sha256 { continue }
            let source = try CookbookSource(entry.source, sha256: entry.archive)
            guard let release = try await source.releases().first(where: { $0.version.description == entry.version }) else {
                throw CookbookError("cookbook \(entry.name) \(entry.version) is locked, but \(source) has no such release any more")
            }
            if !entry.commit.isEmpty, release.commit != entry.commit {
                throw CookbookError("cookbook \(entry.name) \(entry.version): tag \(release.tag) now points at \(release.commit.prefix(12)), "
                                    + "\(CookbookLock.fileName) says \(entry.commit.prefix(12)): the tag was moved; check it, then `recipe cookbook update \(entry.name)`")
            }
            try await source.fetch(release, into: folder)
            let digest = try ContentDigest.of(folder)
            guard digest == entry.sha256 else {
                try? FileManager.default.removeItem(at: folder)
                throw CookbookError("cookbook \(entry.name) \(entry.version) from \(source) hashes to \(digest), \(CookbookLock.fileName) says \(entry.sha256)")
            }
            fetched += 1
        }
        return fetched
    }

    /// What one name is asked for, and by whom.
    struct Want: Sendable {
        var range: VersionRange
        var from: String
        var source: CookbookSource
    }

    struct Choice: Sendable {
        var release: CookbookSource.Release
        var source: CookbookSource
        var manifest: CookbookManifest
        var folder: URL
    }

    /// The newest release of each name that every range on it accepts, until nothing changes.
    /// `keeping`: versions to stay at, by name, while every range on them takes them.
    func resolve(_ requirements: CookbookRequirements, keeping pins: [String: String] = [:]) async throws -> CookbookLock {
        var chosen: [String: Choice] = [:]
        var offered: [String: [CookbookSource.Release]] = [:]
        for _ in 0..<100 {
            var wants: [String: [Want]] = [:]
            for entry in requirements.entries { wants[entry.name, default: []].append(Want(range: entry.range, from: CookbookRequirements.fileName, source: entry.source)) }
            for (name, choice) in chosen.sorted(by: { $0.key < $1.key }) where wants[name] != nil {
                for dependency in choice.manifest.depends {
                    guard let source = dependency.source ?? choice.source.sibling(dependency.name) else {
                        throw CookbookError("\(name) depends on \(dependency.name) without a source, and an archive has no siblings: "
                                            + "say \(dependency.name) = { source = …, version = \"\(dependency.range)\" } in its \(CookbookManifest.fileName)")
                    }
                    wants[dependency.name, default: []].append(Want(range: dependency.range, from: name, source: source))
                }
            }
            var changed = false
            for (name, asked) in wants.sorted(by: { $0.key < $1.key }) {
                let source = asked[0].source
                if offered[source.description] == nil { offered[source.description] = try await source.releases() }
                let releases = offered[source.description]!
                let taken = releases.filter { release in asked.allSatisfy { $0.range.contains(release.version) } }
                guard let best = taken.first(where: { $0.version.description == pins[name] }) ?? taken.first else {
                    throw CookbookError(Self.conflict(name, asked, releases: releases, source: source))
                }
                if chosen[name]?.release != best {
                    chosen[name] = try await fetch(name, best, from: source)
                    changed = true
                }
            }
            for name in chosen.keys where wants[name] == nil { chosen[name] = nil; changed = true }
            guard changed else {
                let entries = try chosen.sorted { $0.key < $1.key }.map { name, choice in
                    CookbookLock.Entry(name: name, version: choice.release.version.description, source: choice.source.description,
                                       archive: choice.source.archiveSHA256, tag: choice.release.tag, commit: choice.release.commit,
                                       sha256: try ContentDigest.of(choice.folder), requiredBy: Array(Set(wants[name]!.map(\.from))).sorted())
                }
                return CookbookLock(cookbooks: entries)
            }
        }
        throw CookbookError("the cookbooks' dependencies did not settle after 100 rounds (a cycle of ranges?)")
    }

    /// A release into the cache, its manifest read and checked against what it was fetched as.
    func fetch(_ name: String, _ release: CookbookSource.Release, from source: CookbookSource) async throws -> Choice {
        let staging = home.appendingPathComponent("cookbooks/.fetching/\(name)-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: staging) }
        try await source.fetch(release, into: staging)
        let manifest = try await CookbookManifest.load(staging)
        guard manifest.name == name else { throw CookbookError("\(source) at \(release.tag) is cookbook \(manifest.name), not \(name)") }
        guard manifest.version == release.version else {
            throw CookbookError("\(source) at \(release.tag) says version \(manifest.version) in its \(CookbookManifest.fileName)")
        }
        let digest = try ContentDigest.of(staging)
        let entry = CookbookLock.Entry(name: name, version: release.version.description, source: source.description,
                                       archive: source.archiveSHA256, tag: release.tag, commit: release.commit, sha256: digest, requiredBy: [])
        let folder = CookbookLock.cached(entry, home: home)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: staging, to: folder)
        return Choice(release: release, source: source, manifest: manifest, folder: folder)
    }

    /// One line: the two ranges that cannot both hold, or the one no release meets.
    static func conflict(_ name: String, _ asked: [Want], releases: [CookbookSource.Release], source: CookbookSource) -> String {
        for (i, a) in asked.enumerated() {
            for b in asked[(i + 1)...] where !releases.contains(where: { a.range.contains($0.version) && b.range.contains($0.version) }) {
                return "\(name) \(a.range) (from \(a.from)) conflicts with \(name) \(b.range) (from \(b.from))"
            }
        }
        let have = releases.map(\.version.description).reversed().joined(separator: ", ")
        let wanted = asked.map { "\($0.range) (from \($0.from))" }.joined(separator: " and ")
        return "no release of \(name) matches \(wanted): \(source) has \(have.isEmpty ? "none" : have)"
    }
}
