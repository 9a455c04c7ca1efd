import Foundation
import LuaKit

/// A recipe folder's `cookbooks.lua`: the cookbooks its recipes require, each with its source
/// and the versions it accepts. `recipe cookbook add` writes it; people may edit it too.
///
///     cookbooks {
///       pg = { source = "git+https://git.example/team-a/pg.git", version = "^1.0" },
///     }
public struct CookbookRequirements: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var source: CookbookSource
        public var range: VersionRange

        public init(name: String, source: CookbookSource, range: VersionRange) { (self.name, self.source, self.range) = (name, source, range) }

        /// `SOURCE@RANGE`: the range is what follows the last `@`, when it reads as one (an `@`
        /// of the URL's user stays in the URL); no range is any version.
        public static func split(_ text: String, sha256: String? = nil) throws -> (CookbookSource, VersionRange) {
            if let at = text.lastIndex(of: "@"), let range = try? VersionRange(String(text[text.index(after: at)...])) {
                return (try CookbookSource(String(text[..<at]), sha256: sha256), range)
            }
            return (try CookbookSource(text, sha256: sha256), .any)
        }
    }

    public var entries: [Entry]

    public static let fileName = "cookbooks.lua"

    public init(entries: [Entry]) { self.entries = entries.sorted { $0.name < $1.name } }

    /// The folder's requirements; none when it has no `cookbooks.lua`.
    public static func load(_ folder: URL) async throws -> CookbookRequirements? {
        let file = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let (_, table) = try await DeclarationFile.read(file, declaring: "cookbooks")
        var entries: [Entry] = []
        for (name, value) in table.fields {
            switch value {
            case .string(let text):
                // pg = "git+URL@^1.0", as `recipe cookbook add` takes it
                let (source, range) = try Entry.split(text)
                entries.append(Entry(name: name, source: source, range: range))
            case .table(let detail):
                guard let source = try DeclarationFile.string(detail, "source", in: fileName) else { fallthrough }
                entries.append(Entry(name: name, source: try CookbookSource(source, sha256: try DeclarationFile.string(detail, "sha256", in: fileName)),
                                     range: try VersionRange(try DeclarationFile.string(detail, "version", in: fileName) ?? "*")))
            default:
                throw CookbookError("\(fileName): \(name) = { source = \"git+URL\" or \"file:FOLDER\", version = \"^1.0\" }")
            }
        }
        return CookbookRequirements(entries: entries)
    }

    /// Adds `entry`, or replaces the one of its name.
    public mutating func put(_ entry: Entry) {
        entries.removeAll { $0.name == entry.name }
        entries.append(entry)
        entries.sort { $0.name < $1.name }
    }

    public func write(to folder: URL) throws {
        var text = """
            -- The cookbooks this folder's recipes require. `recipe cookbook add NAME SOURCE[@RANGE]` writes
            -- here; `recipe cookbook install` resolves them into cookbooks.lock (commit both).
            cookbooks {

            """
        for entry in entries {
            let sha256 = entry.source.archiveSHA256.map { ", sha256 = \(Self.quoted($0))" } ?? ""
            text += "  \(entry.name) = { source = \(Self.quoted(entry.source.description))\(sha256), version = \(Self.quoted(entry.range.description)) },\n"
        }
        text += "}\n"
        try Data(text.utf8).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
