import ArgumentParser
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

    func engine() throws -> Engine {
        try lock.apply()
        return Engine.cli(try Store(home: Store.home(explicit: home.home)), progress: Terminal.progress)
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

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Roll out an app release in batches, each health-checked before the next.")

    @OptionGroup var target: AppArguments

    @Option(name: .long, help: "Branch, tag or commit (default: the app's ref).")
    var ref: String?

    @Option(name: .long, help: "Instances per batch: a count, or a share such as 25%.")
    var batch: String = "1"

    func run() async throws {
        let (cluster, app, ref, batch) = (target.cluster, target.app, ref, batch)
        let report = try await target.withHooks { engine, hooks in
            try await engine.deploy(cluster: cluster, app: app, ref: ref, batch: batch, hooks: hooks)
        }
        print("\(target.app): release \(report.release) (\(report.sha.prefix(12))) on \(report.instances.joined(separator: ", "))")
        try RecipeArguments.reportFailures(report.failures)
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Go back to an earlier release of an app.")

    @OptionGroup var target: AppArguments

    @Option(name: .long, help: "How many releases back.")
    var steps: Int = 1

    @Option(name: .long, help: "Instances per batch: a count, or a share such as 25%.")
    var batch: String = "1"

    func run() async throws {
        let (cluster, app, steps, batch) = (target.cluster, target.app, steps, batch)
        let report = try await target.withHooks { engine, hooks in
            try await engine.rollback(cluster: cluster, app: app, steps: steps, batch: batch, hooks: hooks)
        }
        print("\(target.app): back on release \(report.release) (\(report.ref), \(report.sha.prefix(12)))")
        try RecipeArguments.reportFailures(report.failures)
    }
}

struct ReleasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "releases", abstract: "An app's releases, newest first.")

    @OptionGroup var target: AppArguments

    func run() async throws {
        let (cluster, app) = (target.cluster, target.app)
        let engine = try target.engine()
        let releases = try engine.store.releases(cluster: cluster, app: app)
        // what serves is read from the instances: the history alone would miss an interrupted rollout
        let (fleet, open) = try await target.attempt {
            (try await engine.fleet(cluster: cluster, app: app), try await engine.unfinishedDeploys(cluster: cluster).first { $0.app == app })
        }
        if let open {
            print("\(app): interrupted \(open.kind): \(open.summary); "
                  + "the next `recipe deploy \(cluster) \(app)` or `recipe run` settles it")
        } else if !releases.isEmpty && !releases.contains(where: { $0.state == .current }) {
            let why = releases.contains { $0.state == .undeployed } ? "undeployed, removed from its instances" : "no deploy succeeded"
            print("\(app): no release is live (\(why)); `recipe deploy \(cluster) \(app)` or `recipe run` deploys it again")
        }
        func on(_ release: String) -> String {
            let names = fleet.filter { $0.release == release }.map(\.name)
            return names.isEmpty ? "" : "  on " + names.joined(separator: ", ")
        }
        if let open, !releases.contains(where: { $0.release == open.release }) {
            print("\(open.release)  \(open.ref.padding(12))  \(open.sha.prefix(12))  unfinished\(on(open.release))")
        }
        for release in releases {
            print("\(release.release)  \(release.ref.padding(12))  \(release.sha.prefix(12))  \(release.state.rawValue)\(on(release.release))")
        }
        let known = Set(releases.map(\.release) + [open?.release].compactMap { $0 })
        for member in fleet where !member.reachable || member.release.map({ !known.contains($0) }) == true {
            print("\(member.name): " + (member.reachable ? "runs \(member.release!), which no deploy recorded" : "could not be asked what it runs"))
        }
    }
}

struct UndeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undeploy", abstract: "Take an app off its instances: stopped, out of rotation, releases removed.")

    @OptionGroup var target: AppArguments

    func run() async throws {
        let (cluster, app) = (target.cluster, target.app)
        let instances = try await target.withHooks { engine, hooks in
            try await engine.undeploy(cluster: cluster, app: app, hooks: hooks)
        }
        print("\(app): undeployed from \(instances.joined(separator: ", ")); `recipe deploy \(cluster) \(app)` brings it back")
    }
}
