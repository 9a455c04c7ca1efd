import Foundation

/// Which versions a dependency accepts: `^1.2` (1.2.0 up to 2.0.0), `~1.2.3` (up to 1.3.0), `1.2.3`
/// or `=1.2.3` (that one), `>=1.0`, `>1.0`, `<2`, `<=1.4`, `*` (any), and several joined by commas
/// (`>=1.2, <1.5`), all of which must hold. Pre-releases match only when named.
public struct VersionRange: Sendable, Equatable, CustomStringConvertible {
    enum Bound: Sendable, Equatable {
        case atLeast(SemanticVersion), above(SemanticVersion), below(SemanticVersion), atMost(SemanticVersion), exactly(SemanticVersion)
    }

    public let description: String
    let bounds: [Bound]

    public static let any = try! VersionRange("*")

    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var bounds: [Bound] = []
        for part in trimmed.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where part != "*" {
            bounds += try Self.bounds(part, in: trimmed)
        }
        guard !trimmed.isEmpty else { throw CookbookError("'\(text)' is not a version range such as ^1.2, ~1.2.3, >=1.0, <2 or 1.2.3") }
        (description, self.bounds) = (trimmed, bounds)
    }

    public func contains(_ version: SemanticVersion) -> Bool {
        if version.prerelease != nil, !bounds.contains(where: { if case .exactly(let v) = $0 { return v == version } else { return false } }) {
            return false
        }
        return bounds.allSatisfy { bound in
            switch bound {
            case .atLeast(let v): return version >= v
            case .above(let v): return version > v
            case .below(let v): return version < v
            case .atMost(let v): return version <= v
            case .exactly(let v): return version == v
            }
        }
    }

    /// `1`, `1.2` or `1.2.3`: the version with the missing parts zero, and how many were given.
    private static func partial(_ text: String, in whole: String) throws -> (SemanticVersion, given: Int) {
        let core = text.hasPrefix("v") ? String(text.dropFirst()) : text
        let pieces = core.split(separator: "-", maxSplits: 1).map(String.init)
        let numbers = (pieces.first ?? "").split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let padded = (numbers + Array(repeating: "0", count: max(0, 3 - numbers.count))).joined(separator: ".")
        guard (1...3).contains(numbers.count), let version = SemanticVersion(padded + (pieces.count == 2 ? "-" + pieces[1] : "")) else {
            throw CookbookError("'\(whole)' is not a version range: '\(text)' is not a version such as 1.2.3")
        }
        return (version, numbers.count)
    }

    private static func bounds(_ part: String, in whole: String) throws -> [Bound] {
        for (prefix, make) in [(">=", Bound.atLeast), ("<=", Bound.atMost), (">", Bound.above), ("<", Bound.below), ("=", Bound.exactly)]
        where part.hasPrefix(prefix) {
            return [make(try partial(String(part.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces), in: whole).0)]
        }
        if part.hasPrefix("^") {
            let (v, given) = try partial(String(part.dropFirst()), in: whole)
            // the leftmost non-zero part given may not change
            let upper = v.major > 0 || given == 1 ? SemanticVersion(major: v.major + 1, minor: 0, patch: 0)
                : v.minor > 0 || given == 2 ? SemanticVersion(major: 0, minor: v.minor + 1, patch: 0)
                : SemanticVersion(major: 0, minor: 0, patch: v.patch + 1)
            return [.atLeast(v), .below(upper)]
        }
        if part.hasPrefix("~") {
            let (v, given) = try partial(String(part.dropFirst()), in: whole)
            let upper = given == 1 ? SemanticVersion(major: v.major + 1, minor: 0, patch: 0) : SemanticVersion(major: v.major, minor: v.minor + 1, patch: 0)
            return [.atLeast(v), .below(upper)]
        }
        let (v, given) = try partial(part, in: whole)
        guard given == 3 else { throw CookbookError("'\(whole)' is not a version range: say ^\(part) for \(part).x, or the whole version") }
        return [.exactly(v)]
    }
}
