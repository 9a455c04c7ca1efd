import ArgumentParser
import Engine
import Foundation

struct PlanCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what running a recipe would change. Exit 0: nothing; 2: changes; 1: error.")

    @OptionGroup var recipe: RecipeArguments

    @Flag(name: .long, help: "Print the plans as JSON.")
    var json = false

    struct Document: Encodable {
        struct Cluster: Encodable {
            var name: String
            var add, change, destroy: Int
            var steps: [Plan.Step]
        }

        var clusters: [Cluster]
    }

    func run() async throws {
        if let api = try ClientMode.controller() {
            let answer = try await recipe.remote(api, verb: "plan", apply: false)
            if json {
                try Terminal.printJSON(Document(clusters: answer.clusters.map {
                    Document.Cluster(name: $0.name, add: $0.add, change: $0.change, destroy: $0.destroy, steps: $0.steps)
                }))
            } else {
                RecipeArguments.printPlans(answer)
            }
            if answer.changes { throw ExitCode(2) }
            return
        }
        let (_, summary) = try await recipe.execute(mode: .plan, printPlans: !json)
        if json {
            try Terminal.printJSON(Document(clusters: summary.clusters.compactMap { name in
                summary.plans[name].map { Document.Cluster(name: name, add: $0.adds, change: $0.changes, destroy: $0.destroys, steps: $0.steps) }
            }))
        }
        if summary.changes { throw ExitCode(2) }
    }
}
