/// `MAJOR.MINOR.PATCH[-PRERELEASE]` (semver.org), as cookbooks number their releases; a git tag
/// may carry a leading `v`. Build metadata (`+…`) is not used.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major, minor, patch: Int
    public var prerelease: String?

    public init(major: Int, minor: Int, patch: Int, prerelease: String? = nil) {
        (self.major, self.minor, self.patch, self.prerelease) = (major, minor, patch, prerelease)
    }

    /// nil when `text` is not a version: `1.2.0`, `v1.2.0`, `2.0.0-rc.1`.
    public init?(_ text: String) {
        var core = Substring(text.hasPrefix("v") ? String(text.dropFirst()) : text)
        var prerelease: String?
        if let dash = core.firstIndex(of: "-") {
            prerelease = String(core[core.index(after: dash)...])
            core = core[..<dash]
            guard !prerelease!.isEmpty else { return nil }
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, let major = parts[0], let minor = parts[1], let patch = parts[2], major >= 0, minor >= 0, patch >= 0 else { return nil }
        self.init(major: major, minor: minor, patch: patch, prerelease: prerelease)
    }

    public var description: String { "\(major).\(minor).\(patch)" + (prerelease.map { "-" + $0 } ?? "") }

    /// A pre-release comes before its release (1.0.0-rc.1 < 1.0.0).
    public static func < (a: Self, b: Self) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
        switch (a.prerelease, b.prerelease) {
        case (nil, nil), (nil, _): return false
        case (_, nil): return true
        case let (x?, y?): return x < y
        }
    }
}
