/// The one rule per kind of name, checked where a name enters: the parser, every primitive and
/// every command that takes one. Names end up in paths, shell words, HAProxy configurations and
/// API URLs, so each kind allows only what all of those take without escaping.
public enum NameKind: String, Sendable, CaseIterable {
    case cluster, layer, app, service, user, volume, instance, secret, cookbook
    case snapshot = "snapshot id", release = "release id", volumeID = "volume id"

    /// What the rule allows, for messages.
    public var rule: String {
        switch self {
        case .cluster, .layer, .app, .service, .volume, .cookbook:
            return "1 to 63 lower-case letters, digits and '-', starting with a letter"
        case .user:
            return "1 to 32 lower-case letters, digits, '_' and '-', starting with a letter or '_'"
        case .instance:
            return "a layer name and a number (web-1), or an instance id"
        case .secret:
            return "1 to 64 letters, digits, '_' and '-', starting with a letter or '_'"
        case .snapshot, .release, .volumeID:
            return "1 to 128 letters, digits, '.', '_' and '-', starting with a letter or digit, without '..'"
        }
    }
}

public enum Names {
    /// Why `name` is not a good name of `kind` (nil when it is).
    public static func problem(_ name: String, as kind: NameKind) -> String? {
        if allowed(name, kind) { return nil }
        let shown = name.count > 80 ? String(name.prefix(80)) + "… (\(name.count) characters)" : name
        let printable = shown.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return "\(kind.rawValue) '\(printable)' is not a valid name: \(kind.rule)"
    }

    /// Throws the problem with `name` as a `NameError`.
    public static func check(_ name: String, as kind: NameKind) throws {
        if let problem = problem(name, as: kind) { throw NameError(problem) }
    }

    private static func allowed(_ name: String, _ kind: NameKind) -> Bool {
        let scalars = Array(name.unicodeScalars)
        func isLower(_ c: Unicode.Scalar) -> Bool { c.value >= 97 && c.value <= 122 }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
        func isUpper(_ c: Unicode.Scalar) -> Bool { c.value >= 65 && c.value <= 90 }
        guard let first = scalars.first else { return false }
        switch kind {
        case .cluster, .layer, .app, .service, .volume, .cookbook:
            return scalars.count <= 63 && isLower(first) && scalars.allSatisfy { isLower($0) || isDigit($0) || $0 == "-" }
        case .user:
            return scalars.count <= 32 && (isLower(first) || first == "_")
                && scalars.allSatisfy { isLower($0) || isDigit($0) || $0 == "_" || $0 == "-" }
        case .secret:
            return scalars.count <= 64 && (isLower(first) || isUpper(first) || first == "_")
                && scalars.allSatisfy { isLower($0) || isUpper($0) || isDigit($0) || $0 == "_" || $0 == "-" }
        case .instance, .snapshot, .release, .volumeID:
            let limit = kind == .instance ? 63 : 128
            return scalars.count <= limit && (isLower(first) || isUpper(first) || isDigit(first)) && !name.contains("..")
                && scalars.allSatisfy { isLower($0) || isUpper($0) || isDigit($0) || $0 == "." || $0 == "_" || $0 == "-" }
        }
    }
}

/// A name refused by its rule.
public struct NameError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
