import ArgumentParser
import Cookbooks
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Store

/// `recipe cookbook test PATH`: a cookbook's `tests/*.lua`, each run as a recipe in a home of its
/// own (removed after), with the cookbook's folder first on the require path and `arg.provider`
/// set (memory unless `--provider local`). A test passes when it runs to the end: a Lua error,
/// a failed `assert` or a hook that failed is a failure. Its clusters are destroyed after it.
struct CookbookTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Run a cookbook's tests/*.lua on the memory provider (or --provider local).")

    @Argument(help: "The cookbook's folder (it holds cookbook.lua).") var path: String
    @Option(help: "memory (the default: no machine is touched) or local (real agents on this machine).") var provider = "memory"

    func run() async throws {
        guard ["memory", "local"].contains(provider) else { throw ValidationError("--provider: '\(provider)' is not memory or local") }
        let folder = URL(fileURLWithPath: path).standardizedFileURL
        let manifest = try await CookbookManifest.load(folder)
        let tests = ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("tests").path)) ?? [])
            .filter { $0.hasSuffix(".lua") }.sorted()
        guard !tests.isEmpty else { throw CookbookError("\(DisplayPath.of(folder)) has no tests/*.lua: a test is a recipe that asserts what the cookbook does") }
        var failed = 0
        for test in tests {
            let started = Date()
            let problem = await Self.run(folder.appendingPathComponent("tests/\(test)"), cookbook: folder, provider: provider)
            let took = String(format: "%.2f s", Date().timeIntervalSince(started))
            if let problem {
                failed += 1
                Terminal.line("FAIL  tests/\(test)  (\(took))")
                for line in problem.split(separator: "\n") { Terminal.line("      \(line)") }
            } else {
                Terminal.line("ok    tests/\(test)  (\(took))")
            }
        }
        Terminal.line("\(manifest.name) \(manifest.version): \(tests.count - failed) of \(tests.count) passed on the \(provider) provider")
        if failed > 0 { throw ExitCode(1) }
    }

    /// What went wrong, or nil: the test as a recipe, in a scratch home; every cluster it made is
    /// destroyed after it (agents and all, on the local provider), whether it passed or not.
    static func run(_ test: URL, cookbook: URL, provider: String) async -> String? {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-cookbook-test-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        let store: Store
        do { store = try Store(home: home) } catch { return "cannot make a home for the test: \(error)" }
        let engine = Engine.cli(store)
        var problem: String?
        do {
            var options = RecipeOptions(arguments: ["provider": provider], printPlans: false)
            options.moduleRoots = [cookbook]
            let summary = try await RecipeRunner(engine: engine, options: options, output: { Terminal.line("      " + $0) }).run(file: test)
            if !summary.failures.isEmpty { problem = summary.failures.map(\.line).joined(separator: "\n") }
        } catch let error as LuaError {
            problem = error.message
        } catch {
            problem = "\(error)"
        }
        for cluster in (try? store.clusters()) ?? [] { _ = try? await engine.destroy(cluster: cluster.name, deleteSnapshots: true) }
        return problem
    }
}
