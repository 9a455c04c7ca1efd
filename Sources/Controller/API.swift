import Cloud
import Engine
import Foundation
import Hummingbird
import Store

/// The API under `/api/v1`: the CLI's verbs over HTTP, for people, tools and the console. Every
/// route authenticates the caller (a bearer token), asks `Access.decide`, and only then runs the
/// engine as that caller, so every event it records names them; a refused change leaves one
/// `api.refused` event and nothing else.
public final class API: Sendable {
    let store: Store
    let makeEngine: @Sendable (String) -> Engine
    let log: @Sendable (String) -> Void
    let feed: EventFeed
    let statuses = StatusCache()
    /// Where requests run when the Store's calls wait on PostgreSQL; nil on SQLite, whose calls
    /// are short enough for the cooperative pool.
    let blocking: BlockingCallExecutor?
    /// The agent binary handed to booting instances (`recipe-agent` beside this executable).
    let agentBinary: AgentBinary?

    /// - Parameters:
    ///   - makeEngine: an engine whose events record the given actor (`user:alice`, `token:…`).
    ///   - log: where refusals of note and handler failures are told (serve's output).
    public init(store: Store, makeEngine: @escaping @Sendable (String) -> Engine, agentBinary: AgentBinary? = nil,
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.agentBinary = agentBinary
        self.makeEngine = makeEngine
        self.log = log
        self.feed = EventFeed(store: store)
        blocking = store.state.engine == .postgres ? BlockingCallExecutor(threads: 16) : nil
    }

    /// Every route, as the OpenAPI document lists them.
    public var routes: [APIRoute] {
        [
            APIRoute(.get, "/api/v1/openapi.json", .open) { _ in .response(OpenAPIDocument.response) },
            APIRoute(.get, "/api/v1/whoami", .signedIn) { try $0.api.whoami($0) },
        ] + clusterRoutes + instanceRoutes + appRoutes + eventRoutes + logRoutes + peopleRoutes + recipeRoutes + agentRoutes
    }

    /// A router with every route on it, and the console's pages at `/` (`secure`: its cookies
    /// travel over TLS only).
    public func router(secure: Bool = false) throws -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        if let blocking { router.add(middleware: BlockingCallsMiddleware(executor: blocking)) }
        for route in routes {
            router.on(RouterPath(route.routerPath), method: route.method) { [self] request, context in
                await self.answer(route, request, context)
            }
        }
        try Console(api: self, secure: secure).register(on: router)
        return router
    }

    /// Authenticates, decides, runs: the one path every request takes.
    func answer(_ route: APIRoute, _ request: Request, _ context: APIContext) async -> Response {
        var request = request
        var parameters: [String: String] = [:]
        for (key, value) in context.parameters { parameters[String(key)] = String(value) }
        let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { _, last in last })
        let identity: Identity
        if case .open = route.guarding {
            identity = .owner  // unused: an open route reads nothing private
        } else {
            do {
                identity = try authenticate(request)
            } catch {
                let problem = APIProblem(error)
                refused(route, actor: "anonymous", cluster: parameters["cluster"], problem)
                return problem.response
            }
        }
        let body: Data
        do { body = Data(buffer: try await request.collectBody(upTo: context.maxUploadSize)) } catch { return APIProblem(error).response }
        let headers = Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { first, _ in first })
        switch await perform(route, as: identity, parameters: parameters, query: query, headers: headers, body: body) {
        case .success(let answer): return answer.response
        case .failure(let problem): return problem.response
        }
    }

    /// Decides and runs a route for a caller already known (a bearer token's, or a console
    /// session's): the same rights, the same records, whichever door they came in by.
    func perform(_ route: APIRoute, as identity: Identity, parameters: [String: String] = [:], query: [String: String] = [:],
                 headers: [String: String] = [:], body: Data = Data()) async -> Result<APIAnswer, APIProblem> {
        let cluster = parameters["cluster"]
        if case .agent = route.guarding, case .agent = identity {
            // an agent's routes take no instance from the path: it is the token's own
        } else if case .agent = route.guarding {
            let problem = APIProblem(403, "\(identity.actor) is not an agent: the agents' routes take an agent's token")
            refused(route, actor: identity.actor, cluster: cluster, problem)
            return .failure(problem)
        }
        if case .action(let action) = route.guarding, case .refused(let status, let reason) = Access.decide(identity, action, cluster: cluster) {
            let problem = APIProblem(status, reason)
            refused(route, actor: identity.actor, cluster: cluster, problem)
            return .failure(problem)
        }
        do {
            let call = APICall(identity: identity, parameters: parameters, query: query, headers: headers, body: body, api: self)
            // a change through the API fails at once on a held lock (409) unless the caller asks to wait
            let wait = try call.integer("lock_timeout").map(Double.init) ?? 0
            guard wait >= 0 else { throw APIProblem(400, "lock_timeout must not be negative") }
            return .success(try await ClusterLocks.$wait.withValue(wait) { try await route.handle(call) })
        } catch {
            let problem = APIProblem(error)
            if problem.status >= 500 { log("api: \(route.method) \(route.path): \(problem.message)") }
            return .failure(problem)
        }
    }

    /// The caller named by `Authorization: Bearer TOKEN`, or a 401 saying what is wrong.
    func authenticate(_ request: Request) throws -> Identity {
        guard let header = request.headers[.authorization] else {
            throw APIProblem(401, "no token: send Authorization: Bearer TOKEN (recipe token create USER makes one)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIProblem(401, "the Authorization header is not Bearer TOKEN")
        }
        switch try store.authenticate(token: String(parts[1]).trimmingCharacters(in: .whitespaces)) {
        case .success(let identity): return identity
        case .failure(let failure): throw failure
        }
    }

    /// A refused change is recorded, and nothing else of it is.
    private func refused(_ route: APIRoute, actor: String, cluster: String?, _ problem: APIProblem) {
        guard route.changes else { return }
        let known = cluster.flatMap { try? store.cluster($0) } != nil ? cluster : nil
        _ = try? store.record(Event(actor: actor, cluster: known, kind: "api.refused", subject: "\(route.method) \(route.path)",
                                    detail: problem.message, result: "failed: \(problem.status)"))
    }
}
