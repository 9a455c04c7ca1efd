/// Where each field of a declaration is written. Lua keeps no line numbers for table
/// constructors, so the declaration's text is read again: the constructor that follows
/// `cluster "NAME"` on the declaration's line, walked key by key (`layers.web.count`, and list
/// entries by position: `firewall.web.1.from`). A field built in code is not in the text; its
/// nearest written ancestor is.
struct FieldLines {
    private var lines: [[String]: Int] = [:]
    private let tokens: [LuaTokens.Token]

    /// nil when no constructor follows the declaration on its line (`cluster.declare(spec)`).
    init?(text: String, declarationLine: Int, cluster: String) {
        tokens = LuaTokens(text, from: declarationLine).tokens
        guard var at = Self.constructor(in: tokens, line: declarationLine, cluster: cluster) else { return nil }
        table(&at, [])
    }

    /// The line of `path`, or of its longest prefix that is written; nil when none is.
    func line(of path: [String]) -> Int? {
        for count in stride(from: path.count, through: 1, by: -1) {
            if let line = lines[Array(path.prefix(count))] { return line }
        }
        return nil
    }

    /// The `{` after the cluster's name on the declaration's line (`cluster "x" {`,
    /// `cluster("x")({`), else the line's first `{`.
    private static func constructor(in tokens: [LuaTokens.Token], line: Int, cluster: String) -> Int? {
        let onLine = tokens.indices.filter { tokens[$0].line == line }
        if let name = onLine.first(where: { tokens[$0].kind == .string(cluster) }) {
            var at = name + 1
            while at < tokens.count, [.symbol(")"), .symbol("(")].contains(tokens[at].kind) { at += 1 }
            if at < tokens.count, tokens[at].kind == .symbol("{") { return at }
        }
        return onLine.first { tokens[$0].kind == .symbol("{") }
    }

    /// Walks the constructor at `at` (its `{`), recording each key under `path`; leaves `at` past its `}`.
    private mutating func table(_ at: inout Int, _ path: [String]) {
        at += 1
        var position = 0
        while at < tokens.count {
            let token = tokens[at]
            switch token.kind {
            case .symbol("}"): at += 1; return
            case .symbol(","), .symbol(";"): at += 1; continue
            default: break
            }
            var key: String?
            if case .name(let name) = token.kind, kind(at + 1) == .symbol("=") {
                key = name
                at += 2
            } else if token.kind == .symbol("[") {
                let inside = at + 1
                skip(&at, from: .symbol("["), to: .symbol("]"))
                if at == inside + 2, case .string(let name) = tokens[inside].kind { key = name }
                if at == inside + 2, case .number(let number) = tokens[inside].kind { key = number }
                if kind(at) == .symbol("=") { at += 1 }
            } else {
                position += 1
                key = String(position)
            }
            let here = key.map { path + [$0] }
            if let here, lines[here] == nil { lines[here] = token.line }
            if let here, kind(at) == .symbol("{"), valueIsOnlyATable(at) {
                table(&at, here)
            } else {
                skipValue(&at)
            }
        }
    }

    private func kind(_ at: Int) -> LuaTokens.Kind? { at < tokens.count ? tokens[at].kind : nil }

    /// Whether the constructor at `at` is the whole value (not `{...}` followed by `.x` or `..`).
    private func valueIsOnlyATable(_ at: Int) -> Bool {
        var end = at
        skip(&end, from: .symbol("{"), to: .symbol("}"))
        return [.symbol(","), .symbol(";"), .symbol("}"), nil].contains(kind(end))
    }

    /// Past the bracketed run that opens at `at`, nested ones included.
    private func skip(_ at: inout Int, from open: LuaTokens.Kind, to close: LuaTokens.Kind) {
        var depth = 0
        repeat {
            if tokens[at].kind == open { depth += 1 } else if tokens[at].kind == close { depth -= 1 }
            at += 1
        } while depth > 0 && at < tokens.count
    }

    /// Past one field's value: up to the `,`, `;` or `}` that ends it, through brackets and
    /// function bodies (whose blocks open with function, if, do or repeat).
    private func skipValue(_ at: inout Int) {
        var depth = 0
        while at < tokens.count {
            switch tokens[at].kind {
            case .symbol(","), .symbol(";"): if depth == 0 { return }
            case .symbol("}"): if depth == 0 { return }; depth -= 1
            case .symbol("("), .symbol("["), .symbol("{"): depth += 1
            case .symbol(")"), .symbol("]"): depth -= 1
            case .name("function"), .name("if"), .name("do"), .name("repeat"): depth += 1
            case .name("end"), .name("until"): depth -= 1
            default: break
            }
            at += 1
        }
    }
}
