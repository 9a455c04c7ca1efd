import Cloud
import Engine
import Foundation
import RecipeRuntime
import Store

/// `recipe serve`: hosts the recipes of the clusters this state manages (and any given), and
/// runs their hooks on events, timers and thresholds until it is stopped. Everything it decides
/// is written to the Store first, so a restart picks up where it stopped.
public final class Serve: Sendable {
    let engine: Engine
    let extra: [URL]
    let output: @Sendable (String) -> Void
    let registry = HookRegistry()
    let executor: Executor
    let timers: Timers
    let alarms: Alarms
    let detector: FailureDetector
    let limits: HookLimits
    /// Who does the singular work among this state's controllers.
    let lead: any SchedulerLead
    /// Per hosted recipe (by host key): its content hash, hook keys, and how to stop its host.
    private let hosts = Locked<[String: Host]>([:])
    /// Versions that failed to load, so they are not tried every two seconds.
    private let failed = Locked<[String: String]>([:])

    struct Host {
        let sha256: String
        var keys: Set<String> = []
        let stop: AsyncStream<Void>.Continuation
        /// The clusters the recipe declared when it was loaded.
        var clusters: [String] = []
    }

    /// `lead`: the home's `FileLead` unless given (PostgreSQL's, for several machines).
    public init(engine: Engine, extra: [URL] = [], concurrency: Int = 10, limits: HookLimits = HookLimits(),
                lead: (any SchedulerLead)? = nil, output: @escaping @Sendable (String) -> Void) {
        self.engine = engine
        self.lead = lead ?? FileLead(home: engine.store.home)
        self.limits = limits
        self.extra = extra.map(\.standardizedFileURL)
        let redactor = engine.store.redactor
        self.output = { output(redactor.redact($0)) }
        executor = Executor(engine: engine, registry: registry, limit: concurrency)
        timers = Timers(store: engine.store, executor: executor)
        alarms = Alarms(engine: engine, executor: executor)
        detector = FailureDetector(engine: engine)
    }

    /// Takes the lead, recovers, loads the recipes and serves until the task is cancelled, or
    /// throws `LeadLost` when another controller may lead now. On PostgreSQL all of it runs on
    /// threads of its own (`BlockingCallExecutor`): its Store calls wait on round trips, and on
    /// the cooperative pool's two threads the dispatcher's poll and the executor's write held it
    /// whole, so runs ending waited for both (2,000 events/s missed p99 <= 20 ms).
    public func run() async throws {
        guard engine.store.state.engine == .postgres else { return try await serve() }
        try await withTaskExecutorPreference(BlockingCallExecutor(threads: 8)) { try await serve() }
    }

    private func serve() async throws {
        let store = engine.store
        let standingSince = Date()
        let stoodBy = Locked<String?>(nil)
        try await lead.acquire { [output] owner in
            stoodBy.withLock { $0 = owner }
            output("recipe serve: standing by: \(owner) runs the scheduler for this state; this one serves the API and takes over when it stops")
        }
        let checkpoints = store.state.engine == .sqlite ? try store.checkpointInBackground() : nil
        defer { checkpoints?.stop() }
        if try store.schedulerState(Dispatcher.cursorKey) == nil {
            // a first start dispatches what happens from now on, not the whole history
            try store.schedule([], state: [Dispatcher.cursorKey: String(try store.lastEventID())])
        }
        let interrupted = try store.interruptRunning()
        await reload()
        // runs a dead scheduler left behind: pending ones run now, interrupted ones once more
        await executor.submit(try store.pendingRuns())
        for run in interrupted {
            if let hook = registry.hook(run.hook) { await executor.retry(run, hook) }
        }
        let takeover = stoodBy.value.map { "; took over from \($0) after \(Int(Date().timeIntervalSince(standingSince))) s standing by" } ?? ""
        record("serve.started", detail: "pid \(getpid()); \(registry.hosted.count) recipes; \(interrupted.count) interrupted runs retried\(takeover)")
        output("recipe serve: pid \(getpid()), hosting \(registry.hosted.map(\.path).sorted().joined(separator: ", "))")

        let dispatcher = Dispatcher(store: store, registry: registry, executor: executor, maxDepth: limits.maxDepth)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.lead.lost()
                if !Task.isCancelled { throw LeadLost() }
            }
            group.addTask { await dispatcher.run() }
            group.addTask { await self.alarms.run() }
            group.addTask { await self.detector.run() }
            group.addTask { await self.reportThrottled() }
            group.addTask {
                var beats = 0
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 2_000_000_000)
                    await self.reload()
                    beats += 1
                    if beats % 30 == 0 { try? store.downsample() }
                }
            }
            // the first that throws (a lost lead) ends the scope, which cancels the others
            for try await _ in group {}
        }
    }

    /// Hosts recipes that are new or whose file changed; a recipe that fails to load is recorded
    /// with its file:line, and the version already hosted (if any) goes on serving. A recorded
    /// recipe whose clusters were all destroyed is no longer hosted: its timers, alarms and hooks stop.
    /// A recipe is hosted once per set of arguments it was run with (`RecipeSource.hostKey`): two
    /// clones made by Recipes/clone.lua are two hosts.
    func reload() async {
        guard let records = try? engine.store.clusters() else { return }
        var wanted: [String: (path: String, arguments: [String: String])] = [:]
        for url in extra { wanted[url.path] = (url.path, [:]) }
        // a recipe still named by a cluster goes on being hosted even while its file is missing
        var named = Set(wanted.keys)
        for record in records {
            guard let path = record.recipePath else { continue }
            let arguments = record.recipeArguments != nil ? record.arguments : [:]
            let key = RecipeSource.hostKey(path: path, arguments: arguments)
            named.insert(key)
            if FileManager.default.fileExists(atPath: path) { wanted[key] = (path, arguments) }
        }
        let recorded = Set(records.map(\.name))
        for (key, _) in hosts.value.sorted(by: { $0.key < $1.key }) where !named.contains(key) {
            await unhost(key, recorded: recorded)
        }
        failed.withLock { $0 = $0.filter { named.contains($0.key) } }
        for (key, recipe) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let sha = try? Digest.sha256(of: URL(fileURLWithPath: recipe.path)) else { continue }
            if hosts.value[key]?.sha256 == sha || failed.value[key] == sha { continue }
            await host(recipe.path, key: key, sha: sha, arguments: recipe.arguments)
        }
    }

    /// Loads one recipe in a VM of its own and waits until it is registered (or failed).
    private func host(_ path: String, key: String, sha: String, arguments: [String: String]) async {
        let (stop, stopper) = AsyncStream<Void>.makeStream()
        let (ready, readied) = AsyncStream<Bool>.makeStream()
        let engine = engine, output = output
        // what hooks log goes to the scheduler's output and to the event log
        let log: @Sendable (String) -> Void = { line in
            output(line)
            self.record("hook.log", detail: line)
        }
        Task {
            let runner = RecipeRunner(engine: engine, options: RecipeOptions(timeLimit: 30, arguments: arguments, strictArguments: true,
                                                                       hookLimits: limits), output: log)
            do {
                try await runner.host(file: URL(fileURLWithPath: path)) { hosted in
                    await self.attach(hosted, sha: sha, stop: stopper)
                    readied.yield(true)
                    for await _ in stop { break }
                }
            } catch {
                self.record("serve.load_failed", detail: key, result: "failed: \(error)")
                output("recipe serve: \(key) not loaded: \(error)")
                self.failed.withLock { $0[key] = sha }
                readied.yield(false)
            }
        }
        for await _ in ready { break }
    }

    /// The new version takes over (so no event falls between two versions), then the old one stops.
    private func attach(_ hosted: HostedRecipe, sha: String, stop: AsyncStream<Void>.Continuation) async {
        let keys = Set(hosted.events.map(\.key) + hosted.timers.map(\.key) + hosted.alarms.map(\.key))
        let previous = hosts.withLock { hosts in
            let previous = hosts[hosted.key]
            hosts[hosted.key] = Host(sha256: sha, keys: keys, stop: stop, clusters: hosted.clusters)
            return previous
        }
        registry.attach(hosted)
        try? await timers.load(hosted.timers, cluster: hosted.clusters.first, replacing: previous?.keys ?? [])
        await alarms.load(hosted.alarms, replacing: previous?.keys ?? [])
        await detector.watch(Array(hosted.declarations.values))
        previous?.stop.yield()
        previous?.stop.finish()
        if previous != nil { record("serve.reloaded", detail: hosted.key) }
    }

    /// Stops hosting a recipe: its hooks, timers and alarms are dropped, its clusters unwatched, its
    /// VM stopped. Its clusters were destroyed, or were declared again with other arguments.
    private func unhost(_ key: String, recorded: Set<String>) async {
        guard let host = hosts.withLock({ $0.removeValue(forKey: key) }) else { return }
        registry.detach(key)
        try? await timers.load([], cluster: nil, replacing: host.keys)
        await alarms.load([], replacing: host.keys)
        await detector.forget(host.clusters)
        host.stop.yield()
        host.stop.finish()
        let clusters = host.clusters.joined(separator: ", ")
        let why = host.clusters.contains(where: recorded.contains) ? "declared again with other arguments" : "destroyed"
        record("serve.unloaded", detail: "\(key): cluster \(clusters) \(why)")
        output("recipe serve: \(key) no longer hosted (cluster \(clusters) \(why))")
    }

    /// Every second, one `hook.throttled` per cluster whose hooks emitted over the rate, with the count dropped.
    private func reportThrottled() async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: 1_000_000_000)
            for (cluster, dropped) in limits.limiter.drain() {
                _ = try? engine.store.record(Event(actor: "scheduler", cluster: cluster.isEmpty ? nil : cluster, kind: "hook.throttled",
                                                   subject: cluster.isEmpty ? "serve" : cluster,
                                                   detail: "\(dropped) events emitted by hooks dropped in the last second",
                                                   result: "failed: over \(limits.limiter.perSecond) events a second (--emit-rate)"))
            }
        }
    }

    /// A scheduler event; one a hook's run causes (its log lines) carries that cause.
    func record(_ kind: String, detail: String, result: String = "ok") {
        var event = Event(actor: "scheduler", cluster: nil, kind: kind, subject: "serve", detail: detail, result: result)
        if let cause = EventCause.current { event.caused(by: cause) }
        _ = try? engine.store.record(event)
    }
}
