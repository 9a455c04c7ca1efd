import ArgumentParser
import Controller
import Engine
import Foundation
import RecipeRuntime
import Store

/// `recipe scale CLUSTER LAYER COUNT`: a layer's count changed in the recorded declaration and
/// converged at once, with the hooks of the recipe that declared the cluster (what an autoscale
/// hook's `layer:scale()` does). The next `recipe run` puts the recipe's own count back.
struct ScaleCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Set a layer's instance count (3, +2 or -1) and converge the cluster to it.",
        discussion: "The recorded declaration changes until the next `recipe run`, which applies the recipe's own count again.")

    @OptionGroup var home: HomeOptions
    @OptionGroup var lock: LockOptions

    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster))
    var cluster: String

    @Argument(help: "The layer.", transform: NameArgument.of(.layer))
    var layer: String

    // `-1` reads as an option to the parser: what it does not know as one is taken as the count
    @Argument(parsing: .allUnrecognized, help: "A count, or +N / -N from the current one.")
    var count: [String] = []

    @Flag(name: .long, help: "Print what changed as JSON.")
    var json = false

    func validate() throws {
        guard count.count == 1 else {
            throw ValidationError(count.isEmpty ? "Missing expected argument '<count>'" : "one count, not \(count.joined(separator: " "))")
        }
    }

    struct Body: Encodable, Sendable {
        var count: String
    }

    func run() async throws {
        let (cluster, layer, count) = (cluster, layer, count[0])
        let answer: APIDocuments.Converged
        if let api = try ClientMode.controller() {
            let data = try await api.send("POST", "clusters/\(cluster)/layers/\(layer)/scale", try lock.query(), body: Body(count: count))
            if json { Terminal.document(data) }
            answer = try api.decode(APIDocuments.Converged.self, data)
        } else {
            answer = try await local(count)
            if json { try Terminal.printJSON(answer) }
        }
        if !json { print(Self.line(answer)) }
        try RecipeArguments.reportFailures(answer.failures.map(\.hookFailure))
    }

    private func local(_ count: String) async throws -> APIDocuments.Converged {
        do {
            try lock.apply()
            let store = try home.store()
            let engine = Engine.cli(store, progress: Terminal.progress)
            let (cluster, layer) = (cluster, layer)
            let report = try await RecordedRecipe.withHooks(engine: engine, cluster: cluster, warn: { Terminal.error($0) }) { hooks in
                try await engine.scale(cluster, layer: layer, to: count, hooks: hooks)
            }
            let now = try store.cluster(cluster).flatMap { try $0.declaration().layer(layer)?.count } ?? 0
            return APIDocuments.Converged(report, cluster: cluster, layer: layer, count: now)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// `shop/web: 3 instances (launched web-3)`, or `shop/web: 2 instances, nothing to change`.
    static func line(_ answer: APIDocuments.Converged) -> String {
        let head = "\(answer.cluster)/\(answer.layer ?? "?"): \(answer.count ?? 0) instance\(answer.count == 1 ? "" : "s")"
        guard answer.changed else { return head + ", nothing to change" }
        var done: [String] = []
        if !answer.launched.isEmpty { done.append("launched " + answer.launched.joined(separator: ", ")) }
        if !answer.terminated.isEmpty { done.append("terminated " + answer.terminated.joined(separator: ", ")) }
        if done.isEmpty && !answer.online.isEmpty { done.append("online " + answer.online.joined(separator: ", ")) }
        return head + (done.isEmpty ? "" : " (\(done.joined(separator: "; ")))")
    }
}
