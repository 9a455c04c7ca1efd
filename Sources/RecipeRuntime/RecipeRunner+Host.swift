import Cloud
import Engine
import Foundation
import LuaKit

/// A recipe loaded for its hooks, its VM running while the host uses them.
public struct HostedRecipe: Sendable {
    public let path: String
    /// What it is hosted as: its path and arguments (`RecipeSource.hostKey`).
    public let key: String
    let clusterHooks: [String: RecipeHooks]
    /// The clusters the recipe declares, as it declares them.
    public let declarations: [String: ClusterSpec]
    /// `on("instance.failed", fn)` and the other dotted kinds.
    public let events: [EventHook]
    public let timers: [TimerHook]
    public let alarms: [AlarmHook]
    public let callbacks: LuaCallbacks

    /// The clusters the recipe declares.
    public var clusters: [String] { clusterHooks.keys.sorted() }

    /// The lifecycle hooks of a cluster the recipe declares.
    public func hooks(for cluster: String) -> (any LifecycleHooks)? { clusterHooks[cluster] }
}

extension RecipeRunner {
    /// Loads the recipe at `file` for its hooks: its body runs with declarations recorded but never
    /// applied and every primitive that changes state refused. Then the VM keeps running, without a
    /// run-wide budget, while `body` calls the hooks (each within its own budget).
    public func host<T: Sendable>(file: URL, _ body: @escaping @Sendable (HostedRecipe) async throws -> T) async throws -> T {
        let (vm, main, chunk) = try prepare(file)
        loading = true
        _ = try await vm.run(main, args: [.function(chunk)])
        loading = false
        let hosted = HostedRecipe(
            path: file.standardizedFileURL.path, key: recipe?.hostKey ?? file.standardizedFileURL.path,
            clusterHooks: declarations.mapValues { recipeHooks($0, vm.callbacks) },
            declarations: declarations.mapValues(\.spec),
            events: scheduled.events, timers: scheduled.timers, alarms: scheduled.alarms, callbacks: vm.callbacks)
        // what the body returned or threw, handed from its task back to this caller
        let outcome = Locked<Result<T, any Error>?>(nil)
        vm.register("host_wait") { _ in
            .async {
                let result: Result<T, any Error>
                do { result = .success(try await body(hosted)) } catch { result = .failure(error) }
                outcome.withLock { $0 = result }
                return []
            }
        }
        guard case .function(let wait) = try vm.runPrelude("local prim = ...; return function() prim.host_wait() end",
                                                            chunkName: "=host") else {
            throw CloudError("cannot host \(file.path)")
        }
        vm.timeLimit = nil
        _ = try await vm.run(wait)
        guard let result = outcome.value else { throw CloudError("the host of \(file.path) ended early") }
        return try result.get()
    }
}

/// Runs engine work with the hooks of the recipe that last declared a cluster, so a deploy from the
/// command line runs the same drain, deploy and undeploy hooks as `recipe run` does.
public enum RecordedRecipe {
    public static func withHooks<T: Sendable>(
        engine: Engine, cluster: String, options: RecipeOptions = RecipeOptions(),
        warn: @escaping @Sendable (String) -> Void,
        _ body: @escaping @Sendable ((any LifecycleHooks)?) async throws -> T
    ) async throws -> T {
        guard let record = try engine.store.cluster(cluster), let path = record.recipePath else { return try await body(nil) }
        guard FileManager.default.fileExists(atPath: path) else {
            warn("\(cluster): its recipe \(path) is gone; going on without its hooks")
            return try await body(nil)
        }
        var options = options
        if record.recipeArguments != nil { options.arguments = record.arguments }
        let runner = RecipeRunner(engine: engine, options: options, output: warn)
        let url = URL(fileURLWithPath: path)
        do {
            return try await runner.host(file: url) { hosted in try await body(hosted.hooks(for: cluster)) }
        } catch let error as LuaError {
            throw CloudError("\(cluster): loading its recipe for hooks failed: \(error.message)")
        }
    }
}
