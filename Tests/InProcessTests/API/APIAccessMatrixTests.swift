import Cloud
import Controller
import Engine
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Store
import Testing

/// Issue 13's matrix: every route × {no token, an unknown, expired, revoked and read-only token,
/// each level on the right cluster, each level on another cluster, admin, an agent}. Each answer is the
/// status the levels give (written out here, not asked of `Access.decide`), and a refused change
/// leaves no trace but its one `api.refused` event. The server is the real router on a loopback
/// port (the Controller, as serve runs it, asked with URLSession), the cluster on the memory provider, so it runs fast.
@Suite struct APIAccessMatrixTests {
    /// Who asks, and what they hold.
    enum Caller: CaseIterable {
        case none, unknown, expired, revoked, readOnlyAdmin
        case showHere, deployHere, manageHere
        case showThere, deployThere, manageThere
        case admin
        /// An instance's agent, by the token its bootstrap secret was traded for.
        case agent

        var level: AccessLevel? {
            switch self {
            case .showHere: return .show
            case .deployHere: return .deploy
            case .manageHere: return .manage
            default: return nil
            }
        }
    }

    /// What a route needs, as the issue lists it.
    enum Need: Sendable { case signedIn, listing, level(AccessLevel), admin, agent }

    struct Case: Sendable {
        var method: HTTPRequest.Method
        var path: String
        var need: Need
        /// The answer when allowed: the route's success, or the engine's own refusal past the guard.
        var allowed: HTTPResponse.Status
        var body: @Sendable (_ index: Int) -> String? = { _ in nil }
        var uri: @Sendable (_ index: Int) -> String? = { _ in nil }

        /// Whether it changes anything (a plan is a POST that does not).
        var changes: Bool { method != .get && !path.hasSuffix("/plan") }
    }

    static let cases: [Case] = [
        Case(method: .get, path: "/api/v1/whoami", need: .signedIn, allowed: .ok),
        Case(method: .get, path: "/api/v1/clusters", need: .listing, allowed: .ok),
        Case(method: .get, path: "/api/v1/clusters/shop", need: .level(.show), allowed: .ok),
        Case(method: .get, path: "/api/v1/clusters/shop/metrics", need: .level(.show), allowed: .ok),
        Case(method: .get, path: "/api/v1/clusters/shop/usage", need: .level(.show), allowed: .ok),
        Case(method: .get, path: "/api/v1/usage", need: .admin, allowed: .ok),
        Case(method: .get, path: "/api/v1/clusters/shop/events", need: .level(.show), allowed: .ok),
        Case(method: .get, path: "/api/v1/clusters/shop/logs", need: .level(.show), allowed: .ok),
        Case(method: .get, path: "/api/v1/clusters/shop/events/stream?limit=1", need: .level(.show), allowed: .ok),
        // the cluster declares no app: past the guard the engine says so (404)
        Case(method: .get, path: "/api/v1/clusters/shop/apps/site/releases", need: .level(.show), allowed: .notFound),
        Case(method: .post, path: "/api/v1/clusters/shop/apps/site/deploy", need: .level(.deploy), allowed: .notFound),
        Case(method: .post, path: "/api/v1/clusters/shop/apps/site/rollback", need: .level(.deploy), allowed: .notFound),
        Case(method: .post, path: "/api/v1/clusters/shop/apps/site/undeploy", need: .level(.deploy), allowed: .notFound),
        Case(method: .post, path: "/api/v1/clusters/shop/plan", need: .level(.show), allowed: .ok),
        Case(method: .post, path: "/api/v1/clusters/shop/run", need: .level(.manage), allowed: .ok),
        Case(method: .post, path: "/api/v1/clusters/shop/layers/web/scale", need: .level(.manage), allowed: .ok, body: { _ in #"{"count": "2"}"# }),
        Case(method: .post, path: "/api/v1/clusters/shop/instances/web-1/stop", need: .level(.manage), allowed: .ok),
        Case(method: .post, path: "/api/v1/clusters/shop/instances/web-1/start", need: .level(.manage), allowed: .ok),
        Case(method: .post, path: "/api/v1/clusters/shop/instances/web-2/replace", need: .level(.manage), allowed: .ok),
        // the memory cluster has no volumes: past the guard the volume is not found
        Case(method: .post, path: "/api/v1/clusters/shop/volumes/vol-none/snapshot", need: .level(.manage), allowed: .notFound),
        Case(method: .post, path: "/api/v1/clusters/shop/events", need: .level(.manage), allowed: .created, body: { _ in #"{"kind": "app.tick"}"# }),
        Case(method: .post, path: "/api/v1/clusters/shop/clone", need: .level(.manage), allowed: .ok, body: { #"{"target": "copy-\#($0)"}"# }),
        Case(method: .put, path: "/api/v1/clusters/shop/grants/carol", need: .level(.manage), allowed: .ok, body: { _ in #"{"level": "show"}"# }),
        Case(method: .get, path: "/api/v1/users", need: .admin, allowed: .ok),
        Case(method: .post, path: "/api/v1/users", need: .admin, allowed: .created, body: { #"{"name": "new-\#($0)"}"# }),
        Case(method: .delete, path: "/api/v1/users/{spare}", need: .admin, allowed: .ok, uri: { "/api/v1/users/spare-\($0)" }),
        Case(method: .get, path: "/api/v1/tokens", need: .admin, allowed: .ok),
        Case(method: .post, path: "/api/v1/tokens", need: .admin, allowed: .created, body: { _ in #"{"user": "carol", "expires": "1d"}"# }),
        Case(method: .delete, path: "/api/v1/tokens/{spare}", need: .admin, allowed: .ok),
        Case(method: .get, path: "/api/v1/secrets", need: .admin, allowed: .ok),
        Case(method: .post, path: "/api/v1/recipes/plan", need: .admin, allowed: .ok,
             body: { #"{"source": "cluster \"up-\#($0)\" { provider = { kind = \"memory\" }, layers = { web = { count = 1 } } }"}"# }),
        Case(method: .post, path: "/api/v1/recipes/run", need: .admin, allowed: .ok,
             body: { #"{"source": "cluster \"up-\#($0)\" { provider = { kind = \"memory\" }, layers = { web = { count = 1 } } }", "name": "up.lua"}"# }),
        // the agents' routes: an agent's token only
        Case(method: .post, path: "/agent/v1/heartbeat", need: .agent, allowed: .noContent,
             body: { _ in #"{"cpu_percent": 1, "memory_bytes": 2, "memory_percent": 3, "load": 0.5}"# }),
        Case(method: .get, path: "/agent/v1/commands", need: .agent, allowed: .ok),
        Case(method: .get, path: "/agent/v1/users", need: .agent, allowed: .ok),
        Case(method: .post, path: "/agent/v1/commands/999", need: .agent, allowed: .notFound,
             body: { _ in #"{"code": 0, "stdout": "", "stderr": "", "stopped": false}"# }),
        // the matrix's agent was bound without a description, and its cluster has no releases
        Case(method: .get, path: "/agent/v1/machine", need: .agent, allowed: .notFound),
        Case(method: .post, path: "/agent/v1/events", need: .agent, allowed: .noContent,
             body: { _ in #"{"events": [{"kind": "service.exited", "service": "web", "result": "failed: exited with 1"}]}"# }),
        Case(method: .post, path: "/agent/v1/logs", need: .agent, allowed: .noContent, body: { _ in #"{"chunks": []}"# }),
        Case(method: .get, path: "/agent/v1/archives/\(String(repeating: "0", count: 64)).tar", need: .agent, allowed: .notFound),
        // last: an allowed destroy removes shop, which is declared again before the next case
        Case(method: .delete, path: "/api/v1/clusters/shop", need: .level(.manage), allowed: .ok),
    ]

    /// The expected answer, from the levels alone.
    static func expected(_ c: Case, _ caller: Caller) -> HTTPResponse.Status {
        if case .agent = c.need {
            switch caller {
            case .none, .unknown, .expired, .revoked: return .unauthorized
            case .agent: return c.allowed
            default: return .forbidden  // a person's token is no agent's, an admin's neither
            }
        }
        switch caller {
        case .none, .unknown, .expired, .revoked: return .unauthorized
        case .agent:
            if case .signedIn = c.need { return c.allowed }
            return .forbidden  // agents reach no verb of the API
        case .admin: return c.allowed
        case .readOnlyAdmin:
            // masked down to show: reads of a cluster and plans, nothing of an admin's
            switch c.need {
            case .signedIn, .listing, .level(.show): return c.allowed
            default: return .forbidden
            }
        case .showHere, .deployHere, .manageHere, .showThere, .deployThere, .manageThere:
            switch c.need {
            case .signedIn, .listing: return c.allowed
            case .admin, .agent: return .forbidden
            case .level(let needed): return (caller.level.map { $0 >= needed } ?? false) ? c.allowed : .forbidden
            }
        }
    }

    static let shop = #"cluster "shop" { provider = { kind = "memory" }, layers = { web = { count = 2 } } }"#
    static let other = #"cluster "other" { provider = { kind = "memory" }, layers = { web = { count = 1 } } }"#

    @Test func everyRouteAnswersEachCallerAsTheirLevelsSay() async throws {
        let fixture = try Fixture()
        defer { fixture.cleanup() }
        let harness = RecipeHarness(fixture: fixture)
        try await harness.run(Self.shop, file: "shop.lua")
        try await harness.run(Self.other, file: "other.lua")
        let store = fixture.store
        try store.addAccount("carol", admin: false, actor: "owner")

        // a user per caller, and what each holds; spares to remove and tokens to revoke, one per caller
        var secrets: [Caller: String] = [:]
        var spareTokens: [Caller: String] = [:]
        for (index, caller) in Caller.allCases.enumerated() {
            let name = "user-\(index)"
            try store.addAccount(name, admin: caller == .admin || caller == .readOnlyAdmin, actor: "owner")
            try store.addAccount("spare-\(index)", admin: false, actor: "owner")
            spareTokens[caller] = try store.createToken(user: "carol", lifetime: nil, readOnly: false, actor: "owner").record.id
            switch caller {
            case .showHere, .deployHere, .manageHere:
                try store.grant(GrantRecord(user: name, cluster: "shop", level: caller.level!, ssh: false, sudo: false), actor: "owner")
            case .showThere, .deployThere, .manageThere:
                let level: AccessLevel = caller == .showThere ? .show : caller == .deployThere ? .deploy : .manage
                try store.grant(GrantRecord(user: name, cluster: "other", level: level, ssh: false, sudo: false), actor: "owner")
            default: break
            }
            switch caller {
            case .none: break
            case .unknown: secrets[caller] = TokenSecret.generate()
            case .agent:
                try store.bindBootstrap("rcb_matrix", instances: ["i-matrix"], cluster: "shop", interval: 5)
                secrets[caller] = try store.registerAgent(AgentDocuments.Registration(instance: "i-matrix", bootstrap: "rcb_matrix", host: nil)).token
            case .expired:
                secrets[caller] = try store.createToken(user: name, lifetime: 60, readOnly: false, actor: "owner", now: Date().addingTimeInterval(-120)).secret
            case .revoked:
                let (secret, record) = try store.createToken(user: name, lifetime: nil, readOnly: false, actor: "owner")
                try store.revokeToken(record.id, actor: "owner")
                secrets[caller] = secret
            default:
                secrets[caller] = try store.createToken(user: name, lifetime: nil, readOnly: caller == .readOnlyAdmin, actor: "owner").secret
            }
        }

        let (tokens, spares) = (secrets, spareTokens)
        let api = API(store: store, makeEngine: { Engine(store: store, registry: fixture.registry, actor: $0) })
        // a real server on a loopback port, as serve runs it; every answer over HTTP
        let controller = Controller(api: api, options: try ControllerOptions(listen: "127.0.0.1:0"))
        let (listening, told) = AsyncStream<String>.makeStream()
        let server = Task { try await controller.run { told.yield($0) } }
        defer { server.cancel() }
        var ready = listening.makeAsyncIterator()
        let base = try #require(await ready.next(), "the controller listens")
        var answered = 0
        for c in Self.cases {
            for (index, caller) in Caller.allCases.enumerated() {
                var uri = c.uri(index) ?? c.path
                if c.path == "/api/v1/tokens/{spare}" { uri = "/api/v1/tokens/\(spares[caller]!)" }
                let before = try store.lastEventID()
                let instancesBefore = try await fixture.memory.describe(cluster: "shop").instances.count
                let peopleBefore = (try store.accounts().count, try store.tokens().filter { $0.revokedAt == nil }.count, try store.grants())
                var request = URLRequest(url: try #require(URL(string: base + uri)))
                request.httpMethod = c.method.rawValue
                if let secret = tokens[caller] { request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization") }
                request.httpBody = c.body(index).map { Data($0.utf8) }
                let (data, response) = try await URLSession.shared.data(for: request)
                let status = try #require(response as? HTTPURLResponse).statusCode
                let want = Self.expected(c, caller)
                let text = String(decoding: data, as: UTF8.self)
                #expect(status == want.code, "\(c.method) \(uri) as \(caller): \(status), wanted \(want.code): \(text)")
                answered += 1
                if want == .unauthorized || want == .forbidden {
                    #expect(text.contains("\"error\""), "\(c.method) \(uri) as \(caller): a refusal says why: \(text)")
                    let recorded = try store.events(cluster: nil, after: before)
                    if !c.changes {
                        #expect(recorded.isEmpty, "a refused read records nothing: \(recorded.map(\.kind))")
                    } else {
                        // the one trace of a refused change: its audit event, naming who and why
                        #expect(recorded.map(\.kind) == ["api.refused"], "\(c.method) \(uri) as \(caller) left \(recorded.map(\.kind))")
                        #expect(recorded.first?.result == "failed: \(want.code)")
                        #expect(try await fixture.memory.describe(cluster: "shop").instances.count == instancesBefore)
                        #expect(try store.accounts().count == peopleBefore.0)
                        #expect(try store.tokens().filter { $0.revokedAt == nil }.count == peopleBefore.1)
                        #expect(try store.grants() == peopleBefore.2)
                    }
                } else if c.changes {
                    let actors = Set(try store.events(cluster: nil, after: before).map(\.actor))
                    #expect(actors.isEmpty || actors.allSatisfy { $0.hasPrefix("token:user-\(index)…") || $0 == "agent:i-matrix" },
                            "\(c.method) \(uri) as \(caller): events name the caller, not \(actors.sorted())")
                }
                if c.method == .delete && c.path == "/api/v1/clusters/shop" && status == 200 {
                    try await harness.run(Self.shop, file: "shop.lua")
                }
            }
        }
        #expect(answered == Self.cases.count * Caller.allCases.count)
        #expect(answered >= 120)
    }
}
