import Foundation

/// `recipe cookbook doc PATH`: a cookbook's README-shaped reference in Markdown, from its
/// manifest and the `---` blocks of its modules, read as tools/luadoc.py reads Stdlib's: a block
/// opens with `---`, goes on with `--` lines and documents the code line after it; tags
/// `@module`, `@param NAME TEXT`, `@return TEXT`, `@usage` (code lines to the next tag),
/// `@field NAME TEXT` and `@name TEXT`.
public enum CookbookDoc {
    struct Block {
        var text: [String] = []
        var tags: [(tag: String, name: String, text: String)] = []
        var code = ""

        func tag(_ name: String) -> (tag: String, name: String, text: String)? { tags.first { $0.tag == name } }
        func all(_ name: String) -> [(tag: String, name: String, text: String)] { tags.filter { $0.tag == name } }
    }

    public static func render(_ folder: URL) async throws -> String {
        let manifest = try await CookbookManifest.load(folder)
        var parts = ["# \(manifest.name) \(manifest.version)", ""]
        if let description = manifest.description { parts += [description, ""] }
        let depends = manifest.depends.map { "`\($0.name) \($0.range)`" }.joined(separator: ", ")
        parts += ["License: \(manifest.license ?? "not given"). Depends on: \(depends.isEmpty ? "nothing" : depends). "
                  + "Exports: \(manifest.exports.map { "`\($0)`" }.joined(separator: ", ")).", ""]
        for module in manifest.exports {
            let file = folder.appendingPathComponent(module.replacingOccurrences(of: ".", with: "/") + ".lua")
            guard let source = try? String(contentsOf: file, encoding: .utf8) else {
                throw CookbookError("\(CookbookManifest.fileName) exports \(module), but \(file.lastPathComponent) is not there")
            }
            let found = blocks(source)
            parts += ["## \(found.first?.tag("module")?.text ?? module)", ""]
            if let head = found.first, head.tag("module") != nil {
                parts += [description(head.text), ""]
                parts += head.all("field").map { "- `\($0.name)`: \($0.text)" } + (head.all("field").isEmpty ? [] : [""])
            }
            for block in found where block.tag("module") == nil { parts += [entry(block), ""] }
        }
        return parts.joined(separator: "\n").replacing(/\n{3,}/, with: "\n\n")
    }

    static func blocks(_ source: String) -> [Block] {
        let lines = source.components(separatedBy: "\n")
        var found: [Block] = []
        var i = 0
        func comment(_ line: String) -> String {
            let text = String(line.trimmingCharacters(in: .whitespaces).dropFirst(2))
            return text.hasPrefix(" ") ? String(text.dropFirst()) : text
        }
        while i < lines.count {
            let opening = lines[i].trimmingCharacters(in: .whitespaces)
            guard opening == "---" || lines[i].hasPrefix("--- ") else { i += 1; continue }
            var body = opening == "---" ? [] : [String(opening.dropFirst(3)).trimmingCharacters(in: .whitespaces)]
            i += 1
            while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("--"), !lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("---") {
                body.append(comment(lines[i]))
                i += 1
            }
            while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).isEmpty { i += 1 }
            var block = Block(code: i < lines.count ? lines[i].trimmingCharacters(in: .whitespaces) : "")
            for text in body {
                if let match = text.wholeMatch(of: /@(\w+)\s*(.*)/) {
                    let (tag, rest) = (String(match.output.1), String(match.output.2))
                    if tag == "param" || tag == "field" {
                        let split = rest.split(separator: " ", maxSplits: 1).map(String.init)
                        block.tags.append((tag, split.first ?? "", split.count > 1 ? split[1] : ""))
                    } else {
                        block.tags.append((tag, "", rest))
                    }
                } else if let last = block.tags.indices.last {
                    block.tags[last].text += block.tags[last].tag == "usage" ? (block.tags[last].text.isEmpty ? "" : "\n") + text : " " + text
                } else {
                    block.text.append(text)
                }
            }
            found.append(block)
        }
        return found
    }

    /// Paragraphs and lists as they are; lines indented by two spaces after a blank line are Lua code.
    static func description(_ lines: [String]) -> String {
        var out: [String] = []
        var code = false
        for text in lines {
            let indented = text.hasPrefix("  ") && !text.trimmingCharacters(in: .whitespaces).isEmpty
            if indented && !code && (out.last ?? "").isEmpty {
                out += ["", "```lua"]
                code = true
            } else if code && !text.trimmingCharacters(in: .whitespaces).isEmpty && !text.hasPrefix("  ") {
                while out.last == "" { out.removeLast() }
                out += ["```", ""]
                code = false
            }
            out.append(code && text.hasPrefix("  ") ? String(text.dropFirst(2)) : text)
        }
        if code {
            while out.last == "" { out.removeLast() }
            out.append("```")
        }
        return out.joined(separator: "\n").replacing(/\n{3,}/, with: "\n\n").trimmingCharacters(in: .newlines)
    }

    /// The entry of a documented line: its call as a recipe writes it, text, parameters, return, usage.
    static func entry(_ block: Block) -> String {
        var heading = block.code
        if let named = block.tag("name")?.text { heading = named } else if let match = block.code.firstMatch(of: /function\s+([\w.:]+)\s*\(([^)]*)\)/) {
            heading = "\(match.output.1)(\(match.output.2))"
        }
        var parts = ["### `\(heading)`", "", description(block.text)]
        let params = block.all("param")
        if !params.isEmpty { parts += ["", "Parameters:", ""] + params.map { "- `\($0.name)`: \($0.text)" } }
        if let returns = block.tag("return") { parts += ["", "Returns \(returns.text)"] }
        if let usage = block.tag("usage") { parts += ["", "```lua", usage.text.trimmingCharacters(in: .newlines), "```"] }
        return parts.joined(separator: "\n")
    }
}
