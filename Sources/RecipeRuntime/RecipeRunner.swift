import Cloud
import Engine
import Foundation
import LocalCloud
import LuaKit

/// How a recipe runs: its limits, its `arg` table, and where `require` looks.
public struct RecipeOptions: Sendable {
    public var timeLimit: Double?
    public var memoryLimit: Int
    public var arguments: [String: String]
    public var stdlib: URL

    public init(timeLimit: Double? = nil, memoryLimit: Int = 512 << 20, arguments: [String: String] = [:],
                stdlib: URL = StdlibLocator.find()) {
        self.timeLimit = timeLimit
        self.memoryLimit = memoryLimit
        self.arguments = arguments
        self.stdlib = stdlib
    }
}

/// What a recipe run declared, for the CLI to report.
public struct RunSummary: Sendable {
    public var clusters: [String] = []
    public var reports: [String: ConvergeReport] = [:]
}

/// Runs recipe files: a sandboxed VM with the primitives bound to an Engine.
public final class RecipeRunner {
    let engine: Engine
    let options: RecipeOptions
    let output: @Sendable (String) -> Void
    let summary = SummaryBox()
    var recipe: RecipeSource?

    public init(engine: Engine, options: RecipeOptions, output: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.engine = engine
        self.options = options
        self.output = output
    }

    /// Runs the recipe at `file`; a Lua error comes back as a `LuaError` naming file:line.
    public func run(file: URL) async throws -> RunSummary {
        let folder = file.deletingLastPathComponent()
        let vm = try LuaVM(options: LuaOptions(
            memoryLimit: options.memoryLimit, timeLimit: options.timeLimit,
            moduleRoots: [folder, folder.appendingPathComponent("cookbooks"), options.stdlib]))
        recipe = RecipeSource(path: file.standardizedFileURL.path, sha256: (try? Digest.sha256(of: file)) ?? "")
        bind(vm)
        let preludeURL = options.stdlib.appendingPathComponent("prelude.lua")
        guard let prelude = try? String(contentsOf: preludeURL, encoding: .utf8) else {
            throw CloudError("cannot read the recipe prelude at \(preludeURL.path); set RECIPE_STDLIB to the Stdlib folder")
        }
        try vm.runPrelude(prelude, chunkName: "=Stdlib/prelude.lua")
        vm.setGlobal("arg", .table(LuaTable(fields: options.arguments.mapValues(Self.argumentValue))))
        vm.setGlobal("recipe", .table(LuaTable(fields: [
            "file": .string(file.standardizedFileURL.path), "dir": .string(folder.standardizedFileURL.path),
        ])))
        _ = try await vm.runFile(file, displayPath: DisplayPath.of(file))
        return summary.value
    }

    /// `count=30` arrives as a number, `from=shop` as a string.
    static func argumentValue(_ text: String) -> LuaValue {
        if let i = Int64(text) { return .int(i) }
        if let d = Double(text), d.isFinite { return .number(d) }
        if text == "true" || text == "false" { return .bool(text == "true") }
        return .string(text)
    }

    private func bind(_ vm: LuaVM) {
        bindCluster(vm)
        bindInstances(vm)
        bindStorage(vm)
        bindAddresses(vm)
        bindCommands(vm)
    }
}

/// Finds the Stdlib folder: `$RECIPE_STDLIB`, else beside the executable's checkout, else ./Stdlib.
public enum StdlibLocator {
    public static func find() -> URL {
        if let env = ProcessInfo.processInfo.environment["RECIPE_STDLIB"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        var folder = exe.deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent("Stdlib")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("prelude.lua").path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        for candidate in ["/usr/local/share/recipe/Stdlib", FileManager.default.currentDirectoryPath + "/Stdlib"]
        where FileManager.default.fileExists(atPath: candidate + "/prelude.lua") {
            return URL(fileURLWithPath: candidate)
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/Stdlib")
    }
}

/// The run's summary, written by primitive tasks as they finish.
final class SummaryBox: @unchecked Sendable {
    private let lock = NSLock()
    private var summary = RunSummary()

    var value: RunSummary { lock.withLock { summary } }

    func add(cluster: String, report: ConvergeReport) {
        lock.withLock {
            if !summary.clusters.contains(cluster) { summary.clusters.append(cluster) }
            summary.reports[cluster] = report
        }
    }
}
