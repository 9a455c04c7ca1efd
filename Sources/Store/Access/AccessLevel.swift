/// A user's level on one cluster, OpsWorks' four: each includes the ones before it.
public enum AccessLevel: String, Sendable, Codable, CaseIterable, Comparable {
    case deny, show, deploy, manage

    public static func < (a: AccessLevel, b: AccessLevel) -> Bool { a.rank < b.rank }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    /// The level named by `text`, or an error listing the four.
    public static func parse(_ text: String) throws -> AccessLevel {
        guard let level = AccessLevel(rawValue: text) else {
            throw AccessError("level '\(text)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return level
    }
}

/// Bad input to users, grants and tokens (a name, a level, an expiry), said plainly.
public struct AccessError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
