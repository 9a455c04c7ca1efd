import Foundation

/// Resolves `require "a.b"` to `ROOT/a/b.lua` or `ROOT/a/b/init.lua` under the search roots (and
/// `require "a"` also to `ROOT/a/a.lua`: a cookbook's folder holding the module of its name), and
/// never to a file outside them or inside a hidden folder (a prelude's internal modules).
public struct ModuleSearcher: Sendable {
    public let roots: [URL]
    /// Folders under the roots that hold no modules: a prelude's internal ones.
    public let hidden: [URL]

    public init(roots: [URL], hidden: [URL] = []) {
        self.roots = roots
        self.hidden = hidden
    }

    public struct Module: Sendable {
        public let url: URL
        /// A short, real path for error messages and chunk names.
        public let displayPath: String
    }

    public func find(_ name: String) throws -> Module {
        guard Self.isValidName(name) else {
            throw PrimitiveError(
                "require '\(name)': a module name is dotted words (letters, digits, _ and -), "
                    + "so it cannot leave the search roots")
        }
        let relative = name.split(separator: ".").joined(separator: "/")
        var searched: [String] = []
        for root in roots {
            let realRoot = root.resolvingSymlinksInPath().path
            let cookbook = relative.contains("/") ? [] : [relative + "/" + relative + ".lua"]
            for candidate in [relative + ".lua", relative + "/init.lua"] + cookbook {
                let url = root.appendingPathComponent(candidate)
                if isHidden(url.standardizedFileURL.path) { continue }
                searched.append(DisplayPath.of(url))
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                let real = url.resolvingSymlinksInPath().path
                guard real.hasPrefix(realRoot + "/") else {
                    throw PrimitiveError("require '\(name)': \(DisplayPath.of(url)) leads outside its search root")
                }
                if isHidden(real) { continue }
                return Module(url: url, displayPath: DisplayPath.of(url))
            }
        }
        throw PrimitiveError("module '\(name)' not found; searched " + searched.joined(separator: ", "))
    }

    private func isHidden(_ path: String) -> Bool {
        hidden.contains { path.hasPrefix($0.standardizedFileURL.path + "/") || path.hasPrefix($0.resolvingSymlinksInPath().path + "/") }
    }

    static func isValidName(_ name: String) -> Bool {
        let words = name.split(separator: ".", omittingEmptySubsequences: false)
        return !words.isEmpty && words.allSatisfy { word in
            !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        }
    }
}

/// Paths as users should read them: relative to the working folder when inside it.
public enum DisplayPath {
    public static func of(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let cwd = FileManager.default.currentDirectoryPath
        if path.hasPrefix(cwd + "/") { return String(path.dropFirst(cwd.count + 1)) }
        return path
    }
}
