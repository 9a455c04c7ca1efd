import Foundation
import Store
import Testing

/// Users, grants, tokens, console sessions and a cluster's firewall and users on the seam, on both
/// engines: what `recipe user`, `recipe grant`, `recipe token`, the API's 401s and the console read
/// and write.
@Suite(.serialized) struct AccessSeamTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func kinds(_ store: Store) throws -> [String] {
        var query = EventQuery()
        query.hidden = []
        return try store.events(query).map(\.kind)
    }

    @Test func anAccountIsAddedOnceAndGrantedOnlyWhenItExists() throws {
        try BothEngines.run { engine, store in
            try store.addAccount("alice", admin: false, actor: "owner")
            try store.addAccount("bob", admin: true, actor: "owner")
            #expect(throws: AccessError.self, "\(engine): a name is taken once") { try store.addAccount("alice", admin: true, actor: "owner") }
            #expect(try store.accounts().map { "\($0.name) \($0.admin)" } == ["alice false", "bob true"], "\(engine)")

            let grant = GrantRecord(user: "alice", cluster: "shop", level: .deploy, ssh: true)
            try store.grant(grant, actor: "owner")
            try store.grant(grant, actor: "owner")  // the same again: no change, no event
            try store.grant(GrantRecord(user: "alice", cluster: "blog", level: .show), actor: "owner")
            #expect(throws: AccessError.self, "\(engine)") { try store.grant(GrantRecord(user: "zed", cluster: "shop", level: .show), actor: "owner") }
            #expect(try store.grants(user: "alice") == [GrantRecord(user: "alice", cluster: "blog", level: .show), grant], "\(engine)")
            #expect(try store.grants().count == 2, "\(engine)")
            let changes = try store.events(EventQuery()).filter { $0.kind == "grant.changed" }.compactMap(\.detail)
            #expect(changes == ["none -> shop deploy +ssh", "none -> blog show"], "\(engine): \(changes)")

            try store.grant(GrantRecord(user: "alice", cluster: "shop", level: .manage, sudo: true), actor: "user:bob")
            #expect(try store.grants(user: "alice").map(\.line) == ["blog show", "shop manage +sudo"], "\(engine): the grant replaced")
        }
    }

    @Test func removingAnAccountRevokesItsTokensDropsItsGrantsAndRecordsEachChange() throws {
        try BothEngines.run { engine, store in
            try store.addAccount("dave", admin: false, actor: "owner")
            try store.grant(GrantRecord(user: "dave", cluster: "shop", level: .manage, ssh: true), actor: "owner")
            let (one, first) = try store.createToken(user: "dave", lifetime: 3600, readOnly: false, actor: "owner", now: Self.now)
            let (two, _) = try store.createToken(user: "dave", lifetime: nil, readOnly: true, actor: "owner", now: Self.now.addingTimeInterval(1))
            try store.revokeToken(first.id, actor: "owner", now: Self.now.addingTimeInterval(2))
            try store.removeAccount("dave", actor: "owner", now: Self.now.addingTimeInterval(10))
            #expect(throws: AccessError.self, "\(engine)") { try store.removeAccount("dave", actor: "owner") }
            #expect(try store.account("dave") == nil && store.grants(user: "dave").isEmpty, "\(engine)")
            #expect(try store.tokens(user: "dave").map(\.revokedAt) == [Self.now.addingTimeInterval(2), Self.now.addingTimeInterval(10)],
                    "\(engine): the revoked one keeps its time")
            for secret in [one, two] {
                guard case .failure(let failure) = try store.authenticate(token: secret, now: Self.now.addingTimeInterval(20)) else {
                    Issue.record("\(engine): a removed user's token opened something")
                    continue
                }
                #expect(failure.reason.contains("was revoked"), "\(engine): \(failure.reason)")
            }
            let events = try store.events(EventQuery())
            #expect(events.filter { $0.kind == "token.revoked" }.map(\.detail) == ["of dave", "user dave removed"], "\(engine): the live one only, once")
            let dropped = events.dropLast().last
            #expect(events.last?.kind == "user.removed" && dropped?.kind == "grant.changed" && dropped?.cluster == "shop"
                    && dropped?.detail == "manage -> none (user removed)", "\(engine): \(events.map(\.kind))")
            try store.addAccount("dave", admin: false, actor: "owner")
            #expect(try store.authenticate(token: two, now: Self.now.addingTimeInterval(30)).isFailure, "\(engine): added again, the old tokens stay dead")
        }
    }

    @Test func aRecipesDeclaredGrantsAreSyncedLeavingOthersAlone() throws {
        try BothEngines.run { engine, store in
            try store.addAccount("ops", admin: false, actor: "owner")
            try store.grant(GrantRecord(user: "ops", cluster: "shop", level: .show), actor: "owner")
            let alice = GrantRecord(user: "alice", cluster: "shop", level: .manage, ssh: true, sudo: true, declared: true)
            let carol = GrantRecord(user: "carol", cluster: "shop", level: .deploy, declared: true)
            try store.syncDeclaredGrants(cluster: "shop", [alice, carol], actor: "owner")
            #expect(try store.accounts().map(\.name) == ["alice", "carol", "ops"], "\(engine): declared users are created")
            #expect(try store.grants(user: "alice") == [alice], "\(engine)")
            try store.grant(GrantRecord(user: "alice", cluster: "shop", level: .show), actor: "owner")
            try store.syncDeclaredGrants(cluster: "shop", [alice], actor: "owner")
            #expect(try store.grants(user: "alice") == [alice], "\(engine): the recipe's level again")
            #expect(try store.grants(user: "carol").isEmpty && store.account("carol") != nil, "\(engine): dropped from the recipe, the grant goes")
            #expect(try store.grants(user: "ops").map(\.level) == ["show"], "\(engine): a grant by hand stays")
            let changes = try store.events(EventQuery()).filter { $0.kind == "grant.changed" }.compactMap(\.detail)
            #expect(changes.last == "shop deploy (recipe) -> none (no longer declared)", "\(engine): \(changes)")
            #expect(try store.events(EventQuery()).filter { $0.kind == "user.added" }.map(\.subject) == ["ops", "alice", "carol"], "\(engine)")
        }
    }

    @Test func aTokenAuthenticatesByItsHashUntilItExpiresOrIsRevoked() throws {
        try BothEngines.run { engine, store in
            try store.addAccount("bob", admin: false, actor: "owner")
            try store.grant(GrantRecord(user: "bob", cluster: "shop", level: .deploy), actor: "owner")
            #expect(throws: AccessError.self, "\(engine)") { try store.createToken(user: "zed", lifetime: nil, readOnly: false, actor: "owner") }
            let (secret, record) = try store.createToken(user: "bob", lifetime: 60, readOnly: true, actor: "owner", now: Self.now)
            #expect(try store.tokens(user: "bob") == [record], "\(engine): the record as kept, hash and dates included")
            guard case .success(let identity) = try store.authenticate(token: secret, now: Self.now.addingTimeInterval(59)),
                  case .token(let token, let user, let grants) = identity else {
                Issue.record("\(engine): a good token was refused")
                return
            }
            #expect(token == record && user.name == "bob" && grants.map(\.line) == ["shop deploy"], "\(engine)")
            #expect(try store.authenticate(token: secret, now: Self.now.addingTimeInterval(60)).reason?.hasPrefix("token \(record.id) expired at ") == true,
                    "\(engine)")
            #expect(try store.authenticate(token: secret + "x", now: Self.now).reason == "the token is not known", "\(engine)")

            let (forever, kept) = try store.createToken(user: "bob", lifetime: nil, readOnly: false, actor: "owner", now: Self.now)
            #expect(try store.authenticate(token: forever, now: Self.now.addingTimeInterval(10 * 366 * 86_400)).isSuccess, "\(engine): never expires")
            try store.revokeToken(kept.id, actor: "owner", now: Self.now.addingTimeInterval(5))
            #expect(try store.authenticate(token: forever, now: Self.now.addingTimeInterval(6)).reason?.contains("was revoked") == true, "\(engine)")
            #expect(throws: AccessError.self, "\(engine): revoked once") { try store.revokeToken(kept.id, actor: "owner") }
            #expect(throws: AccessError.self, "\(engine)") { try store.revokeToken("tok-nope", actor: "owner") }
            #expect(try store.tokens().map(\.id).sorted() == [record.id, kept.id].sorted(), "\(engine)")
            #expect(try Self.kinds(store).filter { $0.hasPrefix("token.") } == ["token.created", "token.created", "token.revoked"], "\(engine)")
        }
    }

    @Test func aConsoleSessionOpensReadsAndClosesWhileItsTokenHolds() throws {
        try BothEngines.run { engine, store in
            try store.addAccount("erin", admin: true, actor: "owner")
            let (secret, record) = try store.createToken(user: "erin", lifetime: nil, readOnly: false, actor: "owner", now: Self.now)
            guard case .success(let session) = try store.openConsoleSession(token: secret, now: Self.now) else {
                Issue.record("\(engine): a good token opened no session")
                return
            }
            #expect(session.secret.hasPrefix(TokenSecret.sessionPrefix) && session.identity.actor == record.actor, "\(engine)")
            guard case .success(let read) = try store.consoleSession(session.secret, now: Self.now.addingTimeInterval(3600)) else {
                Issue.record("\(engine): an open session was not found")
                return
            }
            #expect(read.csrf == session.csrf && read.identity == session.identity, "\(engine)")
            #expect(try store.consoleSession(session.secret, now: Self.now.addingTimeInterval(12 * 3600 + 1)).reason == "the session ended: sign in again",
                    "\(engine)")
            #expect(try store.consoleSession("rcs_nothing", now: Self.now).reason == "not signed in", "\(engine)")
            #expect(try store.openConsoleSession(token: "rca_agent", now: Self.now).reason == "an agent's token opens no console", "\(engine)")
            #expect(try store.openConsoleSession(token: "rcp_unknown", now: Self.now).reason == "the token is not known", "\(engine)")

            try store.closeConsoleSession(session)
            #expect(try store.consoleSession(session.secret, now: Self.now).reason == "not signed in", "\(engine): closed")
            guard case .success(let other) = try store.openConsoleSession(token: secret, now: Self.now) else { return }
            try store.revokeToken(record.id, actor: "owner", now: Self.now.addingTimeInterval(1))
            #expect(try store.consoleSession(other.secret, now: Self.now.addingTimeInterval(2)).reason?.contains("was revoked") == true,
                    "\(engine): the token's revocation closes its sessions")
            #expect(try Self.kinds(store).filter { $0.hasPrefix("console.") } == ["console.signed_in", "console.signed_out", "console.signed_in"],
                    "\(engine)")
        }
    }

    @Test func aClustersFirewallAndUsersAreReplacedTogether() throws {
        try BothEngines.run { engine, store in
            let http = FirewallRecord(cluster: "shop", layer: "web", port: 80, protocol: "tcp", source: "0.0.0.0/0")
            let db = FirewallRecord(cluster: "shop", layer: "db", port: 5432, protocol: "tcp", source: "web")
            let dns = FirewallRecord(cluster: "shop", layer: "web", port: 53, protocol: "udp", source: "10.0.0.0/8")
            let alice = UserRecord(cluster: "shop", name: "alice", role: "manage", sshKey: "ssh-ed25519 AAAA alice", sudo: true)
            let carol = UserRecord(cluster: "shop", name: "carol", role: "show", sshKey: nil, sudo: false)
            let dan = UserRecord(cluster: "shop", name: "dan", role: "deny", sshKey: "ssh-ed25519 AAAA dan", sudo: false)
            try store.saveAccess(cluster: "shop", firewall: [http, db, dns], users: [dan, alice, carol])
            try store.saveAccess(cluster: "blog", firewall: [FirewallRecord(cluster: "blog", layer: "web", port: 443, protocol: "tcp", source: "0.0.0.0/0")],
                                 users: [UserRecord(cluster: "blog", name: "eve", role: "manage", sshKey: "k", sudo: false)])
            #expect(try store.firewall(cluster: "shop") == [db, dns, http], "\(engine): by layer, then port")
            #expect(try store.users(cluster: "shop") == [alice, carol, dan], "\(engine)")
            #expect(try store.machineUsers(cluster: "shop") == [AgentDocuments.MachineUser(name: "alice", sshKey: "ssh-ed25519 AAAA alice", sudo: true)],
                    "\(engine): a key and not denied")

            try store.saveAccess(cluster: "shop", firewall: [http], users: [carol])
            #expect(try store.firewall(cluster: "shop") == [http] && store.users(cluster: "shop") == [carol], "\(engine): replaced")
            #expect(try store.firewall(cluster: "blog").map(\.port) == [443] && store.users(cluster: "blog").map(\.name) == ["eve"],
                    "\(engine): another cluster's stay")
        }
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
    var isFailure: Bool { !isSuccess }
}

extension Result where Failure == AuthenticationFailure {
    /// Why it failed; nil when it succeeded.
    var reason: String? { if case .failure(let failure) = self { failure.reason } else { nil } }
}
