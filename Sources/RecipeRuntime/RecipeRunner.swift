import Cookbooks
import Cloud
import Engine
import Foundation
import LuaKit
import Store

/// How a recipe runs: its limits, its `arg` table, and where `require` looks.
public struct RecipeOptions: Sendable {
    public enum Mode: Sendable { case apply, plan }

    public var timeLimit: Double?
    public var memoryLimit: Int
    public var arguments: [String: String]
    public var stdlib: URL
    /// `plan` computes and prints what would change, and refuses every primitive that changes state.
    public var mode: Mode
    public var apply: ApplyOptions
    /// Print plans as they are computed (off for `--json`).
    public var printPlans: Bool
    /// An argument the recipe never read refuses the run (else it is only reported).
    public var strictArguments: Bool
    /// How deep hooks may feed each other events, and each cluster's emit rate (recipe serve).
    public var hookLimits: HookLimits?
    /// Folders `require` looks in right after the recipe's own (`recipe cookbook test`: the cookbook's).
    public var moduleRoots: [URL] = []
    /// Refuse a `cookbooks.lock` that does not cover the folder's `cookbooks.lua` (CI=true).
    public var frozenCookbooks = false

    public init(timeLimit: Double? = nil, memoryLimit: Int = 512 << 20, arguments: [String: String] = [:],
                stdlib: URL = StdlibLocator.find(), mode: Mode = .apply, apply: ApplyOptions = ApplyOptions(),
                printPlans: Bool = true, strictArguments: Bool = false, hookLimits: HookLimits? = nil) {
        self.timeLimit = timeLimit
        self.memoryLimit = memoryLimit
        self.arguments = arguments
        self.stdlib = stdlib
        self.mode = mode
        self.apply = apply
        self.printPlans = printPlans
        self.strictArguments = strictArguments
        self.hookLimits = hookLimits
    }
}

/// What a recipe run declared, for the CLI to report.
public struct RunSummary: Sendable {
    public var clusters: [String] = []
    public var plans: [String: Plan] = [:]
    public var reports: [String: ConvergeReport] = [:]
    /// Arguments the recipe's body never read, sorted.
    public var unusedArguments: [String] = []

    /// Whether any declared cluster had something to change.
    public var changes: Bool { plans.values.contains { !$0.isEmpty } }

    /// Hooks that failed under the recipe's imperative primitives (`i:stop()`, `a:associate(i)`).
    public var primitiveFailures: [HookFailure] = []

    /// Every hook that failed while the clusters converged, cluster by cluster, then under primitives.
    public var failures: [HookFailure] { clusters.flatMap { reports[$0]?.failures ?? [] } + primitiveFailures }

    /// Notes what converging (or planning) a cluster gave.
    mutating func add(cluster: String, plan: Plan, report: ConvergeReport?) {
        if !clusters.contains(cluster) { clusters.append(cluster) }
        plans[cluster] = plan
        reports[cluster] = report
    }
}

/// Runs recipe files: a sandboxed VM with the primitives bound to an Engine.
public final class RecipeRunner {
    let engine: Engine
    let options: RecipeOptions
    let output: @Sendable (String) -> Void
    /// Where warnings go (stderr by default), as soon as they are found.
    let warn: @Sendable (String) -> Void
    /// The run's summary, written by primitive tasks as they finish.
    let summary = Locked(RunSummary())
    var recipe: RecipeSource?
    /// Clusters declared by this run, applied when the recipe first needs the state or ends.
    var declarations: [String: Declaration] = [:]
    /// Cluster-wide hooks: `on("setup", fn)`.
    var globalHooks: [HookKind: [LuaFunction]] = [:]
    /// Event hooks, timers and thresholds, run by `recipe serve`.
    var scheduled = ScheduledHooks()
    /// While a hosted recipe's body runs: declarations are recorded, never applied, and every
    /// primitive that changes state is refused.
    var loading = false

    public init(engine: Engine, options: RecipeOptions, output: @escaping @Sendable (String) -> Void = { print($0) },
                warn: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.engine = engine
        self.options = options
        // what a recipe prints (its logs, plans) leaves cleaned of secrets
        let redactor = engine.store.redactor
        self.output = { output(redactor.redact($0)) }
        self.warn = { warn(redactor.redact($0)) }
    }

    /// Runs the recipe at `file`; a Lua error comes back as a `LuaError` naming file:line.
    public func run(file: URL) async throws -> RunSummary {
        if options.frozenCookbooks { try await CookbookLock.requireCoverage(of: file.deletingLastPathComponent()) }
        let (vm, main, chunk) = try prepare(file)
        _ = try await vm.run(main, args: [.function(chunk)])
        return summary.value
    }

    /// A VM with the primitives bound, the prelude's main function and the recipe's chunk.
    func prepare(_ file: URL) throws -> (LuaVM, LuaFunction, LuaFunction) {
        let folder = file.deletingLastPathComponent()
        let vm = try LuaVM(options: LuaOptions(
            memoryLimit: options.memoryLimit, timeLimit: options.timeLimit,
            moduleRoots: try Self.moduleRoots(of: folder, stdlib: options.stdlib, home: engine.store.home, extra: options.moduleRoots),
            internalModules: InternalModules(folder: options.stdlib.appendingPathComponent("recipe"), chunkPrefix: "Stdlib/recipe"),
            libraryRoot: options.stdlib))
        recipe = RecipeSource(path: file.standardizedFileURL.path, sha256: (try? Digest.sha256(of: file)) ?? "",
                              arguments: options.arguments)
        bind(vm)
        let preludeURL = options.stdlib.appendingPathComponent("prelude.lua")
        guard let prelude = try? String(contentsOf: preludeURL, encoding: .utf8) else {
            throw CloudError("cannot read the recipe prelude at \(preludeURL.path); set RECIPE_STDLIB to the Stdlib folder")
        }
        // The prelude returns the function that runs a recipe and then applies what it declared.
        guard case .function(let main) = try vm.runPrelude(prelude, chunkName: "=Stdlib/prelude.lua") else {
            throw CloudError("the recipe prelude at \(preludeURL.path) must return its main function")
        }
        vm.setGlobal("arg", .table(LuaTable(fields: options.arguments.mapValues(Self.argumentValue))))
        vm.setGlobal("recipe", .table(LuaTable(fields: [
            "file": .string(file.standardizedFileURL.path), "dir": .string(folder.standardizedFileURL.path),
        ])))
        let chunk = try vm.loadFile(file, displayPath: DisplayPath.of(file))
        return (vm, main, chunk)
    }

    /// An argument is the text the user typed (`ref=1.10` stays "1.10", `007` stays "007"); the
    /// declaration's numeric fields take numeric strings, and Lua's arithmetic converts them.
    static func argumentValue(_ text: String) -> LuaValue {
        .string(text)
    }

    private func bind(_ vm: LuaVM) {
        bindCluster(vm)
        bindInstances(vm)
        bindStorage(vm)
        bindAddresses(vm)
        bindCommands(vm)
        bindSecrets(vm)
        bindSchedule(vm)
        bindArguments(vm)
        bindOtherRecipes(vm)
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
