import ArgumentParser
import Controller
import Engine
import Foundation
import PostgresState
import Scheduler
import Store

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run hooks on events, timers and metric thresholds: healing, scaling, backups.",
        discussion: """
            One scheduler per state. It hosts the recipe of every cluster `recipe run` recorded (and \
            any RECIPE given), reloads a recipe whose file changed, and keeps every hook run in the \
            Store, so a restart runs nothing twice that finished.
            """)

    @OptionGroup var home: HomeOptions

    @Argument(help: "More recipes to host (schedules that declare no cluster).")
    var recipes: [String] = []

    @Option(name: .long, help: "Hook runs at once per cluster.")
    var concurrency = 10

    @Option(name: .long, help: "How deep hooks may feed each other: an event emitted by a hook run on an event emitted by ... deeper than N is refused (hook.loop).")
    var maxHookDepth = HookLimits.defaultDepth

    @Option(name: .long, help: "Events a cluster's hooks may emit per second; the rest are dropped and counted (hook.throttled).")
    var emitRate = HookLimits.defaultRate

    @Option(name: .long, help: "Where the API listens (ADDRESS:PORT; port 0 picks a free one). Beyond loopback it needs TLS or --insecure.")
    var listen: String?

    @Option(name: .long, help: "The API's TLS certificate (PEM), with --tls-key.")
    var tlsCert: String?

    @Option(name: .long, help: "The API's TLS private key (PEM).")
    var tlsKey: String?

    @Flag(name: .long, help: "Let the API listen beyond loopback without TLS (tokens travel in clear).")
    var insecure = false

    @Flag(name: .long, help: "Run the scheduler only, without the API.")
    var noAPI = false

    @Option(name: .long, help: "The URL instances' agents reach this controller at (default: where the API listens). EC2 launches put it in their user data.")
    var advertise: String?

    func validate() throws {
        guard maxHookDepth >= 1 else { throw ValidationError("--max-hook-depth must be 1 or more") }
        guard emitRate >= 1 else { throw ValidationError("--emit-rate must be 1 or more events a second") }
        if let advertise, !(advertise.hasPrefix("http://") || advertise.hasPrefix("https://")) || URL(string: advertise)?.host == nil {
            throw ValidationError("--advertise \(advertise): give the URL agents reach this controller at, such as https://10.0.0.2:7070")
        }
        do { _ = try controllerOptions() } catch { throw ValidationError("\(error)") }
    }

    func controllerOptions() throws -> ControllerOptions {
        try ControllerOptions(listen: listen ?? ControllerOptions.defaultListen, tlsCertificate: tlsCert, tlsKey: tlsKey, insecure: insecure)
    }

    func run() async throws {
        let store = try home.store()
        let engine = Engine.cli(store, actor: "scheduler")
        for path in recipes where !FileManager.default.fileExists(atPath: path) {
            Terminal.error("\(path): no such recipe")
            throw ExitCode(1)
        }
        let serve = Serve(engine: engine, extra: recipes.map { URL(fileURLWithPath: $0) }, concurrency: max(1, concurrency),
                          limits: HookLimits(maxDepth: maxHookDepth, emitRate: emitRate), lead: try lead()) {
            Terminal.line($0)
        }
        // a hook that heals or scales waits for a command that holds its cluster, then fails (and retries)
        ClusterLocks.shared.timeout.withLock { $0 = 60 }
        ClusterLocks.shared.notice.withLock { $0 = { Terminal.line("recipe serve: " + $0) } }
        let agentBinary = try AgentBinary.beside(Executable.path)
        let api = API(store: store, makeEngine: { Engine.cli(store, actor: $0) }, agentBinary: agentBinary, log: { Terminal.line($0) })
        let controller = noAPI ? nil : Controller(api: api, options: try controllerOptions())
        let explicit = listen != nil
        let advertise = advertise
        defer { try? store.removeController(ControllerRecord(url: "", agentSha256: nil).id) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await serve.run() }
                if let controller {
                    group.addTask { try await Self.serveAPI(controller, store: store, explicit: explicit, advertise: advertise, agent: agentBinary) }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// On a shared PostgreSQL, the controller whose session holds the advisory lock leads (the
    /// home's serve.lock cannot see the other machines); on SQLite, the home's lock.
    func lead() throws -> (any SchedulerLead)? {
        guard let text = StateLocation.databaseURL(explicit: home.database) else { return nil }
        return PostgresLead(url: try DatabaseURL(text), holder: "\(ProcessInfo.processInfo.hostName):\(getpid())")
    }

    /// The API beside the scheduler. On the default address a port already taken (another
    /// `recipe serve`) is said and the scheduler goes on alone; a `--listen` that fails is fatal.
    /// Once it listens, it is the controller launches point their agents at (`--advertise`).
    static func serveAPI(_ controller: Controller, store: Store, explicit: Bool, advertise: String?, agent: AgentBinary?) async throws {
        do {
            try await controller.run { url in
                Terminal.line("recipe serve: API on \(url)/api/v1 (the document: \(url)/api/v1/openapi.json)")
                _ = try? store.record(Event(actor: "scheduler", cluster: nil, kind: "controller.started", subject: url))
                let agents = advertise ?? url
                do {
                    let certificate = try controller.options.tlsCertificate.map { try String(contentsOfFile: $0, encoding: .utf8) }
                    try store.recordController(ControllerRecord(url: agents, agentSha256: agent?.sha256, certificate: certificate))
                } catch {
                    Terminal.line("recipe serve: cannot record this controller for agents (\(error)); instances launched now get no agent")
                }
                if agent == nil { Terminal.line("recipe serve: no recipe-agent beside recipe: instances that boot cannot fetch an agent") }
            }
        } catch {
            guard !explicit, !(error is CancellationError) else { throw ControllerError("the API cannot listen on \(controller.options.url): \(error)") }
            Terminal.line("recipe serve: the API cannot listen on \(controller.options.url) (\(error)); the scheduler runs without it (--listen ADDRESS:PORT)")
            try await Task.sleep(nanoseconds: .max / 2)
        }
    }
}

struct EmitCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(commandName: "emit", abstract: "Append an event of your own, for hooks and alerts.")

    @OptionGroup var home: HomeOptions

    @Argument(help: "The cluster it concerns.", transform: NameArgument.of(.cluster))
    var cluster: String

    @Argument(help: "The event's dotted kind, such as app.ready.")
    var kind: String

    @Option(name: .long, help: "What it is about (an instance name, say).")
    var subject: String?

    @Option(name: .long, help: "Free text.")
    var detail: String?

    func run() async throws {
        if let problem = EventKinds.problem(with: kind) {
            Terminal.error(problem)
            throw ExitCode(1)
        }
        if let api = try ClientMode.controller() {
            let body = ["kind": kind, "subject": subject, "detail": detail].compactMapValues { $0 }
            let event = try api.decode(Event.self, try await api.send("POST", "clusters/\(cluster)/events", body: body))
            return print(event.id ?? 0)
        }
        let store = try home.store()
        guard try store.cluster(cluster) != nil else {
            Terminal.error("no cluster named \(cluster): `recipe status` lists the clusters")
            throw ExitCode(1)
        }
        let event = try store.record(Event(actor: Engine.defaultActor, cluster: cluster, kind: kind, subject: subject, detail: detail))
        print(event.id ?? 0)
    }
}
