import ArgumentParser
import Engine
import Foundation

struct RunCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a recipe: print the plan of every cluster it declares and apply it.")

    @OptionGroup var recipe: RecipeArguments

    @Flag(name: .long, help: "Only plan: change nothing (exit 0 no changes, 2 changes).")
    var dryRun = false

    func run() async throws {
        if let api = try ClientMode.controller() { return try await remote(api) }
        let (engine, summary) = try await recipe.execute(mode: dryRun ? .plan : .apply)
        if dryRun {
            if summary.changes { throw ExitCode(2) }
            return
        }
        for cluster in summary.clusters { try await printReach(cluster, engine: engine) }
        try RecipeArguments.reportFailures(summary.failures)
    }

    /// Through the API: the plans and the recipe's output come with the answer, once the run is done.
    private func remote(_ api: ControllerClient) async throws {
        let answer = try await recipe.remote(api, verb: "run", apply: !dryRun)
        RecipeArguments.printPlans(answer)
        if dryRun {
            if answer.changes { throw ExitCode(2) }
            return
        }
        for cluster in answer.clusters {
            // the controller knows its providers; the client asks it for what a run would print
            guard let status = try api.decode(StatusReport.self, try await api.get("clusters/\(cluster.name)")).clusters.first else { continue }
            print("\ncluster \(cluster.name): \(status.instances.count) instances")
            for instance in status.instances { print(instance.line) }
        }
        try RecipeArguments.reportFailures(answer.failures.map(\.hookFailure))
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
