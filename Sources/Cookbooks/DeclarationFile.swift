import Foundation
import LuaKit

/// A small Lua file that declares one thing: `cookbook.lua` calls `cookbook "pg" { … }` and
/// `cookbooks.lua` calls `cookbooks { … }`. The same table may also be passed with its name
/// inside (`cookbook { name = "pg", … }`), returned (`return { … }`), or, for a manifest, set
/// as globals (`name = "pg"; version = "1.0.0"`). It runs in the sandbox with nothing but that
/// function; an error names the file and line.
enum DeclarationFile {
    /// The table the file declared, and the name given before it (`cookbook "pg"`), if any.
    static func read(_ url: URL, declaring function: String, globals: [String] = []) async throws -> (name: String?, table: LuaTable) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw CookbookError("cannot read \(url.path)") }
        let vm = try LuaVM(options: LuaOptions(memoryLimit: 16 << 20, timeLimit: 2))
        _ = try vm.runPrelude("""
            local declared
            function \(function)(first)
              if type(first) == "table" then declared = { table = first }; return end
              return function(t) declared = { name = first, table = t } end
            end
            function __declared() return declared end
            """, chunkName: "=\(function)")
        let returned = try await vm.run(source: text, chunkName: "@" + url.lastPathComponent)
        if case .table(let declared) = try await vm.run(source: "return __declared()", chunkName: "=\(function)").first ?? .nil,
           case .table(let table) = declared["table"] {
            if case .string(let name) = declared["name"] { return (name, table) }
            return (nil, table)
        }
        if case .table(let table) = returned.first ?? .nil { return (nil, table) }
        if !globals.isEmpty {
            let fields = globals.map { "\($0) = \($0)" }.joined(separator: ", ")
            if case .table(let table) = try await vm.run(source: "return { \(fields) }", chunkName: "=\(function)").first ?? .nil, !table.fields.isEmpty {
                return (nil, table)
            }
        }
        throw CookbookError("\(url.lastPathComponent) declares nothing: it must call \(function) \(function == "cookbook" ? "\"NAME\" " : ""){ … }")
    }

    static func string(_ table: LuaTable, _ key: String, in file: String) throws -> String? {
        switch table[key] {
        case .nil: return nil
        case .string(let text): return text
        default: throw CookbookError("\(file): \(key) must be a string")
        }
    }
}
