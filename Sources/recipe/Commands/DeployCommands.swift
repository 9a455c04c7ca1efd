import ArgumentParser
import Controller
import Engine
import Foundation
import RecipeRuntime
import Store

/// What the deploy commands share: the state and the cluster and app they act on.
struct AppArguments: ParsableArguments {
    @OptionGroup var home: HomeOptions
    @OptionGroup var lock: LockOptions

    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster))
    var cluster: String

    @Argument(help: "The app, as the cluster's recipe declares it.", transform: NameArgument.of(.app))
    var app: String

    /// The app's path in the API: `clusters/C/apps/A`.
    var apiPath: String { "clusters/\(cluster)/apps/\(app)" }

    func engine() throws -> Engine {
        try lock.apply()
        return Engine.cli(try home.store(), progress: Terminal.progress)
    }

    /// Runs `body` with the hooks of the recipe that declared the cluster (drain, ready, deploy, undeploy).
    func withHooks<T: Sendable>(_ body: @escaping @Sendable (Engine, (any LifecycleHooks)?) async throws -> T) async throws -> T {
        try await attempt {
            let engine = try engine()
            return try await RecordedRecipe.withHooks(engine: engine, cluster: cluster, warn: { Terminal.error($0) }) { hooks in
                try await body(engine, hooks)
            }
        }
    }

    /// Runs `body`, printing a refusal as one line and exiting 1.
    func attempt<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }
}

struct DeployCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Roll out an app release in batches, each health-checked before the next.")

    @OptionGroup var target: AppArguments

    @Option(name: .long, help: "Branch, tag or commit (default: the app's ref).")
    var ref: String?

    @Option(name: .long, help: "Instances per batch: a count, or a share such as 25%.")
    var batch: String = "1"

    struct Body: Encodable, Sendable {
        var ref: String?
        var batch: String?
        var steps: Int?
    }

    func run() async throws {
        let (cluster, app, ref, batch) = (target.cluster, target.app, ref, batch)
        let answer: APIDocuments.Deploy
        if let api = try ClientMode.controller() {
            let data = try await api.send("POST", target.apiPath + "/deploy", try target.lock.query(), body: Body(ref: ref, batch: batch))
            answer = try api.decode(APIDocuments.Deploy.self, data)
        } else {
            answer = APIDocuments.Deploy(app: app, try await target.withHooks { engine, hooks in
                try await engine.deploy(cluster: cluster, app: app, ref: ref, batch: batch, hooks: hooks)
            })
        }
        print("\(answer.app): release \(answer.release) (\(answer.sha.prefix(12))) on \(answer.instances.joined(separator: ", "))")
        try RecipeArguments.reportFailures(answer.failures.map(\.hookFailure))
    }
}

struct RollbackCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Go back to an earlier release of an app.")

    @OptionGroup var target: AppArguments

    @Option(name: .long, help: "How many releases back.")
    var steps: Int = 1

    @Option(name: .long, help: "Instances per batch: a count, or a share such as 25%.")
    var batch: String = "1"

    func run() async throws {
        let (cluster, app, steps, batch) = (target.cluster, target.app, steps, batch)
        let answer: APIDocuments.Deploy
        if let api = try ClientMode.controller() {
            let body = DeployCommand.Body(batch: batch, steps: steps)
            answer = try api.decode(APIDocuments.Deploy.self, try await api.send("POST", target.apiPath + "/rollback", try target.lock.query(), body: body))
        } else {
            answer = APIDocuments.Deploy(app: app, try await target.withHooks { engine, hooks in
                try await engine.rollback(cluster: cluster, app: app, steps: steps, batch: batch, hooks: hooks)
            })
        }
        print("\(answer.app): back on release \(answer.release) (\(answer.ref), \(answer.sha.prefix(12)))")
        try RecipeArguments.reportFailures(answer.failures.map(\.hookFailure))
    }
}

struct ReleasesCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(commandName: "releases", abstract: "An app's releases, newest first.")

    @OptionGroup var target: AppArguments

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        let (cluster, app) = (target.cluster, target.app)
        let document: ReleasesDocument
        if let api = try ClientMode.controller() {
            let data = try await api.get(target.apiPath + "/releases")
            if json { return Terminal.document(data) }
            document = try api.decode(ReleasesDocument.self, data)
        } else {
            document = try await target.attempt { try await target.engine().releasesDocument(cluster: cluster, app: app) }
            if json { return try Terminal.printJSON(document) }
        }
        for line in document.lines { print(line) }
    }
}

struct UndeployCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "undeploy", abstract: "Take an app off its instances: stopped, out of rotation, releases removed.")

    @OptionGroup var target: AppArguments

    func run() async throws {
        let (cluster, app) = (target.cluster, target.app)
        let instances: [String]
        if let api = try ClientMode.controller() {
            let data = try await api.send("POST", target.apiPath + "/undeploy", try target.lock.query())
            instances = try api.decode(APIDocuments.Undeployed.self, data).instances
        } else {
            instances = try await target.withHooks { engine, hooks in
                try await engine.undeploy(cluster: cluster, app: app, hooks: hooks)
            }
        }
        print("\(app): undeployed from \(instances.joined(separator: ", ")); `recipe deploy \(cluster) \(app)` brings it back")
    }
}
