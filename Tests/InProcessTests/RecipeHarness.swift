import Cloud
import Engine
import Foundation
import RecipeRuntime
import Testing

/// Runs recipe text through RecipeRunner against a fixture's engine, with the worktree's Stdlib.
struct RecipeHarness {
    static let stdlib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Stdlib")

    let fixture: Fixture
    let output = Locked<[String]>([])

    func options(_ mode: RecipeOptions.Mode = .apply) -> RecipeOptions {
        RecipeOptions(timeLimit: 10, stdlib: Self.stdlib, mode: mode, printPlans: false)
    }

    func write(_ name: String, _ source: String) throws -> URL {
        let url = fixture.home.appendingPathComponent(name)
        try source.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func runner(_ mode: RecipeOptions.Mode = .apply) -> RecipeRunner {
        let output = output
        return RecipeRunner(engine: fixture.engine, options: options(mode), output: { line in output.withLock { $0.append(line) } })
    }

    @discardableResult
    func run(_ source: String, file: String = "recipe.lua", mode: RecipeOptions.Mode = .apply) async throws -> RunSummary {
        try await runner(mode).run(file: try write(file, source))
    }

    /// What `log.info(...)` printed, without the level.
    var logged: [String] {
        output.value.compactMap { $0.hasPrefix("[info] ") ? String($0.dropFirst(7)) : nil }
    }

    static let cluster = """
        cluster "shop" { provider = "memory", layers = { web = { count = 2 } } }

        """
}
