import Foundation
import LuaKit
import Toolkit

/// A cookbook's `cookbook.lua`: its name and version, what it is, its dependencies and the
/// modules it exports.
///
///     cookbook "pg" {
///       version = "1.1.0",
///       description = "PostgreSQL primaries and replicas",
///       license = "MIT",
///       depends = { disk = "^1" },   -- or disk = { version = "^1", source = "git+https://…" }
///                                    -- or disk = { source = "https://…/disk-1.0.0.tar.gz", sha256 = "…" }
///       exports = { "pg" },
///     }
///
/// A dependency without a source is looked for beside its dependent (`…/team/pg.git` → `…/team/disk.git`).
public struct CookbookManifest: Sendable, Equatable {
    public struct Dependency: Sendable, Equatable {
        public var name: String
        public var range: VersionRange
        public var source: CookbookSource?
    }

    public var name: String
    public var version: SemanticVersion
    public var description: String?
    public var license: String?
    public var depends: [Dependency]
    public var exports: [String]

    public static let fileName = "cookbook.lua"

    public static func load(_ folder: URL) async throws -> CookbookManifest {
        let file = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw CookbookError("\(folder.lastPathComponent) has no \(fileName): a cookbook declares its name and version there")
        }
        let (declaredName, table) = try await DeclarationFile.read(file, declaring: "cookbook",
                                                                   globals: ["name", "version", "description", "license", "depends", "exports"])
        guard let name = try declaredName ?? DeclarationFile.string(table, "name", in: fileName) else {
            throw CookbookError("\(fileName): say cookbook \"NAME\" { version = … }")
        }
        if let problem = Names.problem(name, as: .cookbook) { throw CookbookError("\(fileName): \(problem)") }
        guard let text = try DeclarationFile.string(table, "version", in: fileName), let version = SemanticVersion(text) else {
            throw CookbookError("\(fileName) of \(name): version must be a semantic version such as 1.2.0")
        }
        var depends: [Dependency] = []
        if case .table(let list) = table["depends"] {
            for (dependency, value) in list.fields.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .string(let range):
                    depends.append(Dependency(name: dependency, range: try VersionRange(range), source: nil))
                case .table(let detail):
                    let range = try DeclarationFile.string(detail, "version", in: fileName) ?? "*"
                    let sha256 = try DeclarationFile.string(detail, "sha256", in: fileName)
                    let source = try DeclarationFile.string(detail, "source", in: fileName).map { try CookbookSource($0, sha256: sha256) }
                    depends.append(Dependency(name: dependency, range: try VersionRange(range), source: source))
                default:
                    throw CookbookError("\(fileName) of \(name): depends.\(dependency) must be a range (\"^1.2\") or { version = …, source = … }")
                }
            }
        }
        var exports: [String] = []
        if case .table(let list) = table["exports"] { exports = list.array.compactMap { if case .string(let s) = $0 { s } else { nil } } }
        return CookbookManifest(name: name, version: version, description: try DeclarationFile.string(table, "description", in: fileName),
                                license: try DeclarationFile.string(table, "license", in: fileName), depends: depends,
                                exports: exports.isEmpty ? [name] : exports)
    }
}
