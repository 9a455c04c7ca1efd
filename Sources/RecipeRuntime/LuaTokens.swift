/// Lua source as tokens with their lines: as much of Lua's lexical grammar as walking a table
/// constructor needs (names, strings, long brackets, comments, numbers, symbols). Only strings
/// get a value, and only the common escapes are decoded: keys such as `["web-2"]` are plain.
struct LuaTokens {
    enum Kind: Equatable {
        case name(String), string(String), number(String), symbol(String)
    }

    struct Token {
        let kind: Kind
        let line: Int
    }

    private(set) var tokens: [Token] = []
    private let bytes: [UInt8]
    private var at = 0
    private var line: Int

    /// The tokens of `text` from the start of line `firstLine` on (1-based) to its end.
    init(_ text: String, from firstLine: Int) {
        bytes = Array(text.utf8)
        line = 1
        while line < firstLine, at < bytes.count {
            if bytes[at] == newline { line += 1 }
            at += 1
        }
        scan()
    }

    private static let multiSymbols = ["...", "==", "~=", "<=", ">=", "..", "::", "//", "<<", ">>"]
    private let newline = UInt8(ascii: "\n")

    private func byte(_ offset: Int = 0) -> UInt8? { at + offset < bytes.count ? bytes[at + offset] : nil }

    private static func isNameStart(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    private mutating func scan() {
        while let b = byte() {
            switch b {
            case newline: line += 1; at += 1
            case 32, 9, 13, 11, 12: at += 1
            case UInt8(ascii: "-") where byte(1) == UInt8(ascii: "-"):
                at += 2
                if longBracket() == nil { while let c = byte(), c != newline { at += 1 } }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let start = line
                tokens.append(Token(kind: .string(quoted(b)), line: start))
            case UInt8(ascii: "["):
                let start = line
                if let text = longBracket() {
                    tokens.append(Token(kind: .string(text), line: start))
                } else {
                    at += 1
                    tokens.append(Token(kind: .symbol("["), line: start))
                }
            case _ where Self.isNameStart(b):
                tokens.append(Token(kind: .name(word { Self.isNameStart($0) || Self.isDigit($0) }), line: line))
            case _ where Self.isDigit(b) || (b == UInt8(ascii: ".") && byte(1).map(Self.isDigit) == true):
                var previous: UInt8 = 0
                let text = word { c in
                    defer { previous = c }
                    let signed = (c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && [69, 101, 80, 112].contains(previous)
                    return Self.isNameStart(c) || Self.isDigit(c) || c == UInt8(ascii: ".") || signed
                }
                tokens.append(Token(kind: .number(text), line: line))
            default:
                let symbol = Self.multiSymbols.first { bytes[at...].starts(with: Array($0.utf8)) } ?? String(UnicodeScalar(b))
                at += symbol.utf8.count
                tokens.append(Token(kind: .symbol(symbol), line: line))
            }
        }
    }

    private mutating func word(_ belongs: (UInt8) -> Bool) -> String {
        let start = at
        while let c = byte(), belongs(c) { at += 1 }
        return String(decoding: bytes[start..<at], as: UTF8.self)
    }

    /// A quoted string from its opening quote, past its closing one.
    private mutating func quoted(_ quote: UInt8) -> String {
        at += 1
        var value: [UInt8] = []
        while let c = byte(), c != quote, c != newline {
            at += 1
            guard c == UInt8(ascii: "\\"), let escaped = byte() else { value.append(c); continue }
            at += 1
            switch escaped {
            case UInt8(ascii: "n"): value.append(newline)
            case UInt8(ascii: "t"): value.append(9)
            case newline: line += 1; value.append(newline)
            case UInt8(ascii: "z"):
                while let w = byte(), [32, 9, 13, 10, 11, 12].contains(w) { if w == newline { line += 1 }; at += 1 }
            default: value.append(escaped)
            }
        }
        if byte() == quote { at += 1 }
        return String(decoding: value, as: UTF8.self)
    }

    /// `[[...]]` or `[==[...]==]` at the cursor: its text, past its end; nil (cursor unmoved) when
    /// the cursor is not at one.
    private mutating func longBracket() -> String? {
        guard byte() == UInt8(ascii: "[") else { return nil }
        var level = 0
        while byte(1 + level) == UInt8(ascii: "=") { level += 1 }
        guard byte(1 + level) == UInt8(ascii: "[") else { return nil }
        at += level + 2
        let close = [UInt8(ascii: "]")] + Array(repeating: UInt8(ascii: "="), count: level) + [UInt8(ascii: "]")]
        let start = at
        while at < bytes.count, !bytes[at...].starts(with: close) {
            if bytes[at] == newline { line += 1 }
            at += 1
        }
        let text = String(decoding: bytes[start..<min(at, bytes.count)], as: UTF8.self)
        at = min(at + close.count, bytes.count)
        return text
    }
}
