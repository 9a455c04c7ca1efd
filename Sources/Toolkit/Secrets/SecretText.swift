/// Text that names secrets without holding them: `secret("DB")` crosses from Lua into Swift as a
/// reference, two private-use characters around the name, and travels as plain text through
/// specs, commands and service lines. What is recorded or shown holds references (masked as
/// `***`); only `reveal`, where the text leaves for the machine, puts the values in.
public enum SecretText {
    static let open: Character = "\u{E000}"
    /// A reference `Shell.quote` met: revealed as one single-quoted shell word.
    static let openQuoted: Character = "\u{E002}"
    static let close: Character = "\u{E001}"
    public static let mask = "***"

    /// The reference to secret `name` (a checked name: it holds neither marker).
    public static func reference(_ name: String) -> String { "\(open)\(name)\(close)" }

    public static func hasReferences(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0 == "\u{E000}" || $0 == "\u{E002}" }
    }

    /// Every reference as `***`: the form anything recorded or printed takes.
    public static func masked(_ text: String) -> String {
        guard hasReferences(text) else { return text }
        return pieces(text).map { if case .text(let t) = $0 { t } else { mask } }.joined()
    }

    /// The text with the values in: a quoted reference as one single-quoted word. Throws naming
    /// a secret that is not set.
    public static func reveal(_ text: String, _ value: (String) throws -> String) rethrows -> String {
        guard hasReferences(text) else { return text }
        return try pieces(text).map { piece in
            switch piece {
            case .text(let t): t
            case .secret(let name, false): try value(name)
            case .secret(let name, true): Shell.plain(try value(name))
            }
        }.joined()
    }

    /// `value` as shell words (`Shell.quote` comes here when it holds references): a reference
    /// stays one, marked to be quoted when revealed (its value is not known here).
    static func quote(_ value: String) -> String {
        pieces(value).map { piece in
            switch piece {
            case .text(let t): Shell.plain(t)
            case .secret(let name, _): "\(openQuoted)\(name)\(close)"
            }
        }.joined()
    }

    enum Piece { case text(String), secret(String, quoted: Bool) }

    static func pieces(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let start = rest.firstIndex(where: { $0 == open || $0 == openQuoted }),
              let end = rest[start...].firstIndex(of: close) {
            if start > rest.startIndex { pieces.append(.text(String(rest[..<start]))) }
            pieces.append(.secret(String(rest[rest.index(after: start)..<end]), quoted: rest[start] == openQuoted))
            rest = rest[rest.index(after: end)...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return pieces
    }
}
