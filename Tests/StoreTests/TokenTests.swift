import Cloud
import Foundation
import Testing
import Store

/// Users, grants and tokens in the Store (issue 13, point 2): a token is shown once and kept only
/// as its hash; expiry and revocation close it; removing a user revokes theirs.
@Suite struct TokenTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString.prefix(8))")

    func identity(_ store: Store, _ secret: String, at now: Date = Date()) throws -> Identity? {
        if case .success(let identity) = try store.authenticate(token: secret, now: now) { return identity }
        return nil
    }

    func failure(_ store: Store, _ secret: String, at now: Date = Date()) throws -> String? {
        if case .failure(let failure) = try store.authenticate(token: secret, now: now) { return failure.reason }
        return nil
    }

    @Test func aTokenIsStoredOnlyAsItsHashAndAuthenticatesItsUser() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try Store(home: home)
        try store.addAccount("alice", admin: false, actor: "owner")
        try store.grant(GrantRecord(user: "alice", cluster: "shop", level: .deploy), actor: "owner")
        let (secret, record) = try store.createToken(user: "alice", lifetime: 3600, readOnly: false, actor: "owner")
        #expect(secret.hasPrefix("rcp_") && secret.count == 4 + 43, "32 bytes, base64url: \(secret.count)")
        #expect(record.last4 == String(secret.suffix(4)))
        let identity = try #require(try identity(store, secret))
        #expect(identity.actor == "token:alice…\(record.last4)")
        #expect(Access.decide(identity, .deploy, cluster: "shop").isAllowed)
        #expect(!Access.decide(identity, .destroy, cluster: "shop").isAllowed)
        // nothing on disk holds the secret, nor its random part: not the database, its WAL, nor the events
        for file in try FileManager.default.contentsOfDirectory(atPath: home.path) where file.hasPrefix("state.db") {
            let bytes = try Data(contentsOf: home.appendingPathComponent(file))
            #expect(bytes.range(of: Data(secret.dropFirst(4).utf8)) == nil, "\(file) holds the secret")
        }
        #expect(try store.events(EventQuery()).allSatisfy { !"\($0)".contains(secret.dropFirst(4)) })
        let created = try store.events(EventQuery()).filter { $0.kind == "token.created" }
        #expect(created.map(\.subject) == [record.id] && created[0].actor == "owner")
    }

    @Test func unknownExpiredAndRevokedTokensAreRefusedSayingWhy() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try TestState.store(home)
        try store.addAccount("bob", admin: true, actor: "owner")
        let now = Date()
        let (short, shortRecord) = try store.createToken(user: "bob", lifetime: 60, readOnly: false, actor: "owner", now: now)
        #expect(try identity(store, short, at: now.addingTimeInterval(59)) != nil)
        #expect(try failure(store, short, at: now.addingTimeInterval(60))?.hasPrefix("token \(shortRecord.id) expired at ") == true)
        let (forever, foreverRecord) = try store.createToken(user: "bob", lifetime: nil, readOnly: false, actor: "owner")
        #expect(try identity(store, forever, at: now.addingTimeInterval(10 * 366 * 86_400)) != nil, "never expires")
        try store.revokeToken(foreverRecord.id, actor: "owner")
        #expect(try failure(store, forever)?.hasPrefix("token \(foreverRecord.id) was revoked at ") == true)
        #expect(throws: AccessError.self) { try store.revokeToken(foreverRecord.id, actor: "owner") }
        #expect(throws: AccessError.self) { try store.revokeToken("tok-nope", actor: "owner") }
        #expect(try failure(store, "rcp_" + String(repeating: "A", count: 43)) == "the token is not known")
        #expect(try failure(store, "") == "the token is not known")
        // one character off is another hash: unknown
        var wrong = Array(short)
        wrong[10] = wrong[10] == "a" ? "b" : "a"
        #expect(try failure(store, String(wrong), at: now) == "the token is not known")
    }

    @Test func aReadOnlyTokenMasksAnAdminDownToShow() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try TestState.store(home)
        try store.addAccount("carol", admin: true, actor: "owner")
        let (secret, _) = try store.createToken(user: "carol", lifetime: 3600, readOnly: true, actor: "owner")
        let identity = try #require(try identity(store, secret))
        #expect(Access.decide(identity, .status, cluster: "shop").isAllowed)
        #expect(Access.decide(identity, .plan, cluster: "shop").isAllowed)
        for action in AccessAction.allCases where action != .status && action != .plan {
            #expect(Access.decide(identity, action, cluster: "shop").status == 403, "\(action)")
        }
    }

    @Test func removingAUserRevokesTheirTokensAndDropsTheirGrants() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try TestState.store(home)
        try store.addAccount("dave", admin: false, actor: "owner")
        try store.grant(GrantRecord(user: "dave", cluster: "shop", level: .manage, ssh: true), actor: "owner")
        let (one, _) = try store.createToken(user: "dave", lifetime: 3600, readOnly: false, actor: "owner")
        let (two, _) = try store.createToken(user: "dave", lifetime: nil, readOnly: true, actor: "owner")
        try store.removeAccount("dave", actor: "owner")
        #expect(try store.account("dave") == nil)
        #expect(try store.grants(user: "dave").isEmpty)
        #expect(try store.tokens(user: "dave").allSatisfy { $0.revokedAt != nil })
        #expect(try failure(store, one)?.contains("was revoked") == true)
        #expect(try failure(store, two)?.contains("was revoked") == true)
        let kinds = try store.events(EventQuery()).map(\.kind)
        #expect(kinds.filter { $0 == "token.revoked" }.count == 2 && kinds.last == "user.removed", "\(kinds)")
        // added again, the old tokens stay dead
        try store.addAccount("dave", admin: false, actor: "owner")
        #expect(try failure(store, one)?.contains("was revoked") == true)
    }

    @Test func badNamesLevelsAndLifetimesAreRefusedPlainly() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try TestState.store(home)
        #expect(throws: NameError.self) { try store.addAccount("Alice", admin: false, actor: "owner") }
        try store.addAccount("alice", admin: false, actor: "owner")
        #expect(throws: AccessError.self) { try store.addAccount("alice", admin: false, actor: "owner") }
        #expect(throws: AccessError.self) { try store.grant(GrantRecord(user: "zed", cluster: "shop", level: .show), actor: "owner") }
        #expect(throws: NameError.self) { try store.grant(GrantRecord(user: "alice", cluster: "Shop!", level: .show), actor: "owner") }
        #expect(throws: AccessError.self) { try store.createToken(user: "zed", lifetime: nil, readOnly: false, actor: "owner") }
        #expect(throws: AccessError.self) { try AccessLevel.parse("admin") }
        #expect(try TokenLifetime.parse("30d") == 30 * 86_400)
        #expect(try TokenLifetime.parse("90m") == 90 * 60)
        #expect(try TokenLifetime.parse("never") == nil)
        for bad in ["", "30", "d", "0d", "-1d", "1y", "400d", "1.5h"] {
            #expect(throws: AccessError.self, "\(bad)") { try TokenLifetime.parse(bad) }
        }
    }

    @Test func aRecipesDeclaredGrantsAreTheTruthForItsUsersOnEachRun() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try TestState.store(home)
        try store.addAccount("ops", admin: false, actor: "owner")
        try store.grant(GrantRecord(user: "ops", cluster: "shop", level: .show), actor: "owner")
        let alice = GrantRecord(user: "alice", cluster: "shop", level: .manage, ssh: true, sudo: true, declared: true)
        try store.syncDeclaredGrants(cluster: "shop", [alice], actor: "owner")
        #expect(try store.account("alice") != nil, "a declared user is created")
        #expect(try store.grants(user: "alice") == [alice])
        // a grant in between lasts until the next run
        try store.grant(GrantRecord(user: "alice", cluster: "shop", level: .show), actor: "owner")
        try store.syncDeclaredGrants(cluster: "shop", [alice], actor: "owner")
        #expect(try store.grants(user: "alice") == [alice])
        // dropped from the recipe: the declared grant goes, the user and others' grants stay
        try store.syncDeclaredGrants(cluster: "shop", [], actor: "owner")
        #expect(try store.grants(user: "alice").isEmpty && store.account("alice") != nil)
        #expect(try store.grants(user: "ops").map(\.level) == ["show"])
        let changes = try store.events(EventQuery()).filter { $0.kind == "grant.changed" }.compactMap(\.detail)
        #expect(changes.last == "shop manage +ssh +sudo (recipe) -> none (no longer declared)", "\(changes)")
    }
}
