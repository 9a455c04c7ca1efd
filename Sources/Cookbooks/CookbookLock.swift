import Foundation
import Toolkit

/// `cookbooks.lock`: every cookbook a folder's recipes run, transitive ones included, pinned to
/// the version, the commit its tag named and the SHA-256 of its contents at install. A run
/// refuses a cookbook whose files no longer match; an install refuses a tag that moved.
public struct CookbookLock: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var source: String
        /// An https archive's own SHA-256 (nil for git and folders).
        public var archive: String?
        /// The git tag and commit (empty for a folder or an archive).
        public var tag: String
        public var commit: String
        public var sha256: String
        /// What asked for it: `cookbooks.lua`, or the cookbooks that depend on it.
        public var requiredBy: [String]
    }

    public var cookbooks: [Entry]

    public static let fileName = "cookbooks.lock"

    public static func load(_ folder: URL) throws -> CookbookLock? {
        let file = folder.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: file) else { return nil }
        let lock: CookbookLock
        do {
            lock = try JSONDecoder().decode(CookbookLock.self, from: data)
        } catch {
            throw CookbookError("\(fileName) is damaged (\(error)): run `recipe cookbook install` to write it again")
        }
        // its names, versions and digests become paths in the home: each must be what it says
        for entry in lock.cookbooks {
            if let problem = Names.problem(entry.name, as: .cookbook) { throw CookbookError("\(fileName): \(problem)") }
            guard SemanticVersion(entry.version) != nil, Self.isHex(entry.sha256, 64), entry.commit.isEmpty || Self.isHex(entry.commit, 40) else {
                throw CookbookError("\(fileName): the entry of \(entry.name) is damaged (version, commit or sha256): run `recipe cookbook install` to write it again")
            }
        }
        return lock
    }

    static func isHex(_ text: String, _ count: Int) -> Bool { text.count == count && text.allSatisfy(\.isHexDigit) }

    public func write(to folder: URL) throws {
        try (JSONDocument.encode(self) + Data("\n".utf8)).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }

    /// Where an entry's files are kept in the home: one folder per name, version and commit (or digest).
    public static func cached(_ entry: Entry, home: URL) -> URL {
        home.appendingPathComponent("cookbooks/\(entry.name)/\(entry.version)-\((entry.commit.isEmpty ? entry.sha256 : entry.commit).prefix(12))")
    }

    /// Why the lock does not cover `requirements` (nil when it does): a name missing, another
    /// source, or a locked version outside the range.
    public func gap(_ requirements: CookbookRequirements) -> String? {
        for wanted in requirements.entries {
            guard let locked = cookbooks.first(where: { $0.name == wanted.name }) else { return "\(wanted.name) is not in \(Self.fileName)" }
            guard locked.source == wanted.source.description, locked.archive == wanted.source.archiveSHA256 else { return "\(wanted.name) comes from \(wanted.source) now, \(locked.source) in \(Self.fileName)" }
            guard let version = SemanticVersion(locked.version), wanted.range.contains(version) else {
                return "\(wanted.name) \(locked.version) in \(Self.fileName) is outside \(wanted.range)"
            }
        }
        return nil
    }

    /// Refuses a folder whose `cookbooks.lua` its lock does not cover, as a frozen install does.
    public static func requireCoverage(of folder: URL) async throws {
        guard let requirements = try await CookbookRequirements.load(folder) else { return }
        let why = try load(folder).map { $0.gap(requirements) } ?? "there is no \(fileName)"
        if let why {
            throw CookbookError("\(fileName) does not cover \(CookbookRequirements.fileName): \(why); run `recipe cookbook install` and commit the lock (CI=true freezes it)")
        }
    }

    /// The folders `require` finds locked cookbooks in, each checked against its digest first.
    public func verifiedFolders(home: URL) throws -> [URL] {
        try cookbooks.map { entry in
            let folder = Self.cached(entry, home: home)
            guard FileManager.default.fileExists(atPath: folder.path) else {
                throw CookbookError("cookbook \(entry.name) \(entry.version) is not installed: run `recipe cookbook install` beside \(Self.fileName)")
            }
            let found = try ContentDigest.of(folder)
            guard found == entry.sha256 else {
                throw CookbookError("cookbook \(entry.name) \(entry.version) does not match \(Self.fileName): its files in \(folder.path) hash to \(found), "
                                    + "the lock says \(entry.sha256); run `recipe cookbook install` to fetch it again")
            }
            return folder
        }
    }
}
