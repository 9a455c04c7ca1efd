import Foundation
import Hummingbird
import Store

/// Users and grants, for admins: the API's own routes refuse everyone else (403, recorded), and
/// the layout links here only for an admin.
extension Console {
    func users(_ session: ConsoleSession) async throws -> Response {
        let users: [UserListing] = try await read(.get, "/api/v1/users", as: session)
        let clusters = try api.store.clusters().map(\.name).sorted()
        let rows = users.map { user -> [String: Any] in
            ["name": user.name, "admin": user.admin, "tokens": user.tokens, "created": user.createdAt.ISO8601Format(),
             "grants": user.grants.map(\.line), "noGrants": user.grants.isEmpty, "isSelf": session.identity.actor == "user:\(user.name)"]
        }
        return page(pages.render("users", title: "Users", [
            "users": rows, "clusters": clusters, "noClusters": clusters.isEmpty, "levels": AccessLevel.allCases.map(\.rawValue),
            "csrf": session.csrf,
        ], session: session), status: .ok)
    }

    func addUser(form: ConsoleForm, _ session: ConsoleSession) async throws -> Response {
        let body = try JSONSerialization.data(withJSONObject: ["name": (form["name"] ?? "").trimmingCharacters(in: .whitespaces),
                                                              "admin": form["admin"] == "on"])
        let _: Answered = try await read(.post, "/api/v1/users", body: body, as: session)
        return Self.redirect("/users")
    }

    func grant(user: String, form: ConsoleForm, _ session: ConsoleSession) async throws -> Response {
        let body = try JSONSerialization.data(withJSONObject: ["level": form["level"] ?? "", "ssh": form["ssh"] == "on", "sudo": form["sudo"] == "on"])
        let _: Answered = try await read(.put, "/api/v1/clusters/{cluster}/grants/{user}", parameters: ["cluster": form["cluster"] ?? "", "user": user],
                                         body: body, as: session)
        return Self.redirect("/users")
    }

    func removeUser(_ user: String, _ session: ConsoleSession) async throws -> Response {
        let _: Answered = try await read(.delete, "/api/v1/users/{user}", parameters: ["user": user], as: session)
        return Self.redirect("/users")
    }
}
