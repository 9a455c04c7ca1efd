import Foundation
import Store
import Testing

/// Issue 13, point 2, from the command line: users, grants and tokens as a user runs them. The
/// token is printed once and found nowhere after; removing a user revokes their tokens; a
/// recipe's users block becomes grants; bad input is refused naming what is wrong.
@Suite struct UsersAndTokensTests {
    struct Listed: Decodable {
        struct Grant: Decodable { let cluster: String, level: String, ssh: Bool, sudo: Bool, declared: Bool }
        let name: String, admin: Bool, grants: [Grant], tokens: Int
    }

    struct Token: Decodable { let id: String, user: String, last4: String, readOnly: Bool, state: String }

    func users(_ h: Harness) throws -> [Listed] {
        let out = try h.recipe(["user", "list", "--json"])
        #expect(out.code == 0, "\(out.stderr)")
        return try JSONDecoder().decode([Listed].self, from: Data(out.stdout.utf8))
    }

    func tokens(_ h: Harness, _ extra: [String] = []) throws -> [Token] {
        let out = try h.recipe(["token", "list", "--json"] + extra)
        #expect(out.code == 0, "\(out.stderr)")
        return try JSONDecoder().decode([Token].self, from: Data(out.stdout.utf8))
    }

    @Test func addGrantTokenRevokeRemove() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["user", "add", "alice"]).stdout == "user alice added\n")
        #expect(try h.recipe(["user", "add", "root", "--admin"]).code == 0)
        let granted = try h.recipe(["grant", "alice", "shop", "deploy", "--ssh"])
        #expect(granted.code == 0 && granted.stdout == "alice has deploy on shop (ssh)\n", "\(granted)")

        let created = try h.recipe(["token", "create", "alice", "--expires", "12h", "--read-only"])
        #expect(created.code == 0, "\(created.stderr)")
        let secret = created.stdout.trimmingCharacters(in: .newlines)
        #expect(secret.hasPrefix("rcp_") && !secret.contains(" "), "stdout is the token alone: \(created.stdout)")
        #expect(created.stderr.contains("read-only") && created.stderr.contains("not shown again"), "\(created.stderr)")

        // listed by id and last 4 characters; the secret is nowhere: listings, events, the home's files
        let listed = try tokens(h)
        #expect(listed.count == 1 && listed[0].user == "alice" && listed[0].readOnly && listed[0].state == "active")
        #expect(listed[0].last4 == String(secret.suffix(4)))
        let plain = try h.recipe(["token", "list", "alice"])
        #expect(plain.stdout.contains(listed[0].id) && plain.stdout.contains("…\(listed[0].last4)"))
        let eventLog = try h.recipe(["events", "--json"])
        for text in [plain.stdout, try h.recipe(["token", "list", "--json"]).stdout, eventLog.stdout, try h.recipe(["user", "list"]).stdout] {
            #expect(!text.contains(secret.dropFirst(4)), "the secret shows: \(text)")
        }
        #expect(try grep(h.home, for: String(secret.dropFirst(4))).isEmpty, "no file of the home holds the token")

        let alice = try #require(try users(h).first { $0.name == "alice" })
        #expect(alice.grants.map { "\($0.cluster) \($0.level) \($0.ssh) \($0.sudo)" } == ["shop deploy true false"])
        #expect(alice.tokens == 1)
        #expect(try users(h).first { $0.name == "root" }?.admin == true)

        // a second token, then revoke one and remove the user: every token is dead
        let second = try h.recipe(["token", "create", "alice", "--expires", "never"])
        #expect(second.code == 0 && second.stderr.contains("never expires"), "\(second.stderr)")
        let revoked = try h.recipe(["token", "revoke", listed[0].id])
        #expect(revoked.code == 0 && revoked.stdout == "token \(listed[0].id) revoked\n")
        #expect(try tokens(h, ["alice"]).map(\.state) == ["revoked", "active"])
        let again = try h.recipe(["token", "revoke", listed[0].id])
        #expect(again.code == 1 && again.stderr.contains("token \(listed[0].id) was already revoked"), "\(again.stderr)")
        let removed = try h.recipe(["user", "remove", "alice"])
        #expect(removed.code == 0, "\(removed.stderr)")
        #expect(try tokens(h).filter { $0.user == "alice" }.allSatisfy { $0.state == "revoked" })
        #expect(try users(h).map(\.name) == ["root"])

        // every change is an event by the owner, never holding the secret
        let kinds = events(h).filter { ["user.added", "user.removed", "grant.changed", "token.created", "token.revoked"].contains($0.kind) }
        #expect(kinds.allSatisfy { $0.actor == "owner" }, "\(kinds)")
        #expect(kinds.map(\.kind) == ["user.added", "user.added", "grant.changed", "token.created", "token.created",
                                      "token.revoked", "token.revoked", "grant.changed", "user.removed"], "\(kinds.map(\.kind))")
    }

    struct Refused: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let refused: [Refused] = [
        Refused(arguments: ["user", "add", "Alice"], message: "user 'Alice' is not a valid name"),
        Refused(arguments: ["user", "add", "bob"], message: "user bob already exists"),
        Refused(arguments: ["user", "remove", "zed"], message: "no user named zed"),
        Refused(arguments: ["grant", "zed", "shop", "show"], message: "no user named zed (recipe user add zed)"),
        Refused(arguments: ["grant", "bob", "shop", "admin"], message: "level 'admin' is not one of deny, show, deploy, manage"),
        Refused(arguments: ["grant", "bob", "Shop", "show"], message: "cluster 'Shop' is not a valid name"),
        Refused(arguments: ["token", "create", "zed"], message: "no user named zed"),
        Refused(arguments: ["token", "create", "bob", "--expires", "30"], message: "--expires '30' is not a lifetime such as 90m, 12h, 30d, 8w or never"),
        Refused(arguments: ["token", "create", "bob", "--expires", "5y"], message: "--expires '5y' is not a lifetime"),
        Refused(arguments: ["token", "create", "bob", "--expires", "400d"], message: "longer than 366 days"),
        Refused(arguments: ["token", "revoke", "tok-nope"], message: "no token with id tok-nope"),
    ]

    @Test(arguments: refused) func badInputIsRefusedSayingWhatIsWrong(_ bad: Refused) throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["user", "add", "bob"]).code == 0)
        let before = try users(h).map(\.name)
        let out = try h.recipe(bad.arguments)
        #expect(out.code != 0)
        #expect(out.stderr.contains(bad.message), "\(out.stderr)")
        #expect(out.stdout.isEmpty, "nothing printed as if it worked: \(out.stdout)")
        #expect(try users(h).map(\.name) == before)
        #expect(try tokens(h).isEmpty)
    }

    @Test func aRecipesUsersBlockBecomesGrantsOnEachRun() throws {
        let h = try Harness()
        defer { h.cleanup() }
        func recipe(_ users: String) throws -> String {
            try h.write("shop.lua", "cluster \"shop\" {\n  layers = { web = { count = 0 } },\n  users = { \(users) },\n}\n")
        }
        let path = try recipe(#"alice = { role = "manage", ssh_key = "ssh-ed25519 AAAAC3Nza alice@x", sudo = true }, bob = { role = "show" }"#)
        let first = try h.recipe(["run", path])
        #expect(first.code == 0, "\(first.stderr)")
        var listed = try users(h)
        #expect(listed.map(\.name) == ["alice", "bob"], "declared users are created")
        #expect(listed[0].grants.map { "\($0.cluster) \($0.level) \($0.ssh) \($0.sudo) \($0.declared)" } == ["shop manage true true true"])
        #expect(listed[1].grants.map(\.level) == ["show"])

        // a grant in between lasts until the next run, which puts the declaration back
        #expect(try h.recipe(["grant", "bob", "shop", "deploy"]).code == 0)
        #expect(try users(h)[1].grants.map(\.level) == ["deploy"])
        #expect(try h.recipe(["run", path]).code == 0)
        #expect(try users(h)[1].grants.map(\.level) == ["show"])

        // dropped from the block: the grant goes, the user stays; a CLI grant of an undeclared user stays
        #expect(try h.recipe(["user", "add", "carol"]).code == 0)
        #expect(try h.recipe(["grant", "carol", "shop", "deploy"]).code == 0)
        _ = try recipe(#"alice = { role = "deploy" }"#)
        #expect(try h.recipe(["run", path]).code == 0)
        listed = try users(h)
        #expect(listed.map(\.name) == ["alice", "bob", "carol"])
        #expect(listed[0].grants.map(\.level) == ["deploy"] && listed[1].grants.isEmpty && listed[2].grants.map(\.level) == ["deploy"])
        let changes = events(h).filter { $0.kind == "grant.changed" }
        #expect(changes.contains { $0.subject == "bob" && $0.detail == "shop show (recipe) -> none (no longer declared)" }, "\(changes)")
        #expect(changes.allSatisfy { $0.actor == "owner" && $0.cluster == "shop" })

        // destroyed: what the recipe declared goes with it, a CLI grant stays
        let destroyed = try h.recipe(["destroy", "shop", "--yes"])
        #expect(destroyed.code == 0, "\(destroyed.stderr)")
        listed = try users(h)
        #expect(listed[0].grants.isEmpty && listed[2].grants.map(\.level) == ["deploy"])
    }

    struct Line: Decodable { let kind: String, actor: String, subject: String?, detail: String?, cluster: String? }

    func events(_ h: Harness) -> [Line] {
        let out = (try? h.recipe(["events", "--json"]).stdout) ?? ""
        return out.split(separator: "\n").compactMap { try? JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    /// Files under `folder` whose bytes contain `text`.
    func grep(_ folder: URL, for text: String) throws -> [String] {
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])?.compactMap { $0 as? URL } ?? []
        return files.filter { (try? Data(contentsOf: $0))?.range(of: Data(text.utf8)) != nil }.map(\.path)
    }
}
