import ArgumentParser
import Engine
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a recipe: print the plan of every cluster it declares and apply it.")

    @OptionGroup var recipe: RecipeArguments

    @Flag(name: .long, help: "Only plan: change nothing (exit 0 no changes, 2 changes).")
    var dryRun = false

    func run() async throws {
        let (engine, summary) = try await recipe.execute(mode: dryRun ? .plan : .apply)
        if dryRun {
            if summary.changes { throw ExitCode(2) }
            return
        }
        for cluster in summary.clusters { try await printReach(cluster, engine: engine) }
        try RecipeArguments.reportFailures(summary.failures)
    }

    /// How to reach every instance of a cluster the recipe declared.
    private func printReach(_ cluster: String, engine: Engine) async throws {
        // On a cloud (found by polling) the list is one more describe of every instance: `recipe status` has it.
        guard !engine.capabilities(of: cluster).contains(.polling) else {
            print("\ncluster \(cluster): `recipe status \(cluster)` lists its instances")
            return
        }
        guard let status = try await engine.status(cluster: cluster).first else { return }
        print("\ncluster \(cluster): \(status.instances.count) instances")
        for instance in status.instances { print(instance.line) }
    }
}
