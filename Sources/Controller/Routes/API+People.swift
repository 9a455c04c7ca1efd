import Cloud
import Foundation
import Store

/// Who may reach the API: the caller themself, users, grants, tokens, and the names of secrets.
extension API {
    var peopleRoutes: [APIRoute] {
        [
            APIRoute(.get, "/api/v1/users", .action(.users)) { try $0.api.users($0) },
            APIRoute(.post, "/api/v1/users", .action(.users)) { try $0.api.addUser($0) },
            APIRoute(.delete, "/api/v1/users/{user}", .action(.users)) { call in
                try call.store.removeAccount(call.parameter("user"), actor: call.identity.actor)
                return try .document(APIDocuments.Done(done: "user \(call.parameter("user")) removed; their tokens are revoked"))
            },
            APIRoute(.put, "/api/v1/clusters/{cluster}/grants/{user}", .action(.grant)) { try $0.api.grant($0) },
            APIRoute(.get, "/api/v1/tokens", .action(.tokens)) { try $0.api.tokens($0) },
            APIRoute(.post, "/api/v1/tokens", .action(.tokens)) { try $0.api.createToken($0) },
            APIRoute(.delete, "/api/v1/tokens/{token}", .action(.tokens)) { call in
                try call.store.revokeToken(call.parameter("token"), actor: call.identity.actor)
                return try .document(APIDocuments.Done(done: "token \(call.parameter("token")) revoked"))
            },
            APIRoute(.get, "/api/v1/secrets", .action(.secrets)) { call in
                try .document(SecretVault(home: call.store.home).names().map { APIDocuments.SecretName(name: $0) })
            },
        ]
    }

    func whoami(_ call: APICall) throws -> APIAnswer {
        try .document(APIDocuments.WhoAmI(call.identity))
    }

    func users(_ call: APICall) throws -> APIAnswer {
        try .document(try UserListing.all(store))
    }

    struct NewUser: Decodable {
        var name: String
        var admin: Bool?
    }

    func addUser(_ call: APICall) throws -> APIAnswer {
        let request = try call.decode(NewUser.self)
        if let problem = Names.problem(request.name, as: .user) { throw APIProblem(422, problem) }
        try store.addAccount(request.name, admin: request.admin ?? false, actor: call.identity.actor)
        guard let listed = try UserListing.all(store).first(where: { $0.name == request.name }) else { throw APIProblem(500, "user \(request.name) was not kept") }
        return try .document(listed, status: .created)
    }

    struct GrantRequest: Decodable {
        var level: String
        var ssh: Bool?
        var sudo: Bool?
    }

    func grant(_ call: APICall) throws -> APIAnswer {
        let request = try call.decode(GrantRequest.self)
        let level: AccessLevel
        do { level = try AccessLevel.parse(request.level) } catch { throw APIProblem(422, "\(error)") }
        let user = call.parameter("user")
        guard try store.account(user) != nil else { throw APIProblem(404, "no user named \(user) (recipe user add \(user))") }
        let sudo = request.sudo ?? false
        let record = GrantRecord(user: user, cluster: call.cluster, level: level, ssh: (request.ssh ?? false) || sudo, sudo: sudo)
        try store.grant(record, actor: call.identity.actor)
        return try .document(UserListing.Grant(record))
    }

    func tokens(_ call: APICall) throws -> APIAnswer {
        let now = Date()
        return try .document(try store.tokens(user: call.query["user"]).map { TokenListing($0, now: now) })
    }

    struct NewToken: Decodable {
        var user: String
        var expires: String?
        var read_only: Bool?
    }

    func createToken(_ call: APICall) throws -> APIAnswer {
        let request = try call.decode(NewToken.self)
        let lifetime: TimeInterval?
        do { lifetime = try TokenLifetime.parse(request.expires ?? "30d") } catch { throw APIProblem(422, "\(error)") }
        // the secret is in this answer and nowhere else, ever
        let (secret, record) = try store.createToken(user: request.user, lifetime: lifetime, readOnly: request.read_only ?? false,
                                                     actor: call.identity.actor)
        return try .document(APIDocuments.CreatedToken(secret: secret, token: TokenListing(record, now: Date())), status: .created)
    }
}
