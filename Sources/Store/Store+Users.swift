import Cloud
import Foundation
import GRDB

/// Users who may reach the API, their grants per cluster, and (Store+Tokens) their tokens. Every
/// change is an event written in the same transaction, with `actor` naming who made it.
extension Store {
    static func migrateUsers(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8: users and tokens") { db in
            // `users` (v1) stays what a recipe's users block declared for configure (keys, sudo)
            try db.execute(sql: """
                CREATE TABLE accounts (name TEXT PRIMARY KEY, admin BOOLEAN NOT NULL, createdAt REAL NOT NULL);
                CREATE TABLE grants (
                    user TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE, cluster TEXT NOT NULL,
                    level TEXT NOT NULL, ssh BOOLEAN NOT NULL, sudo BOOLEAN NOT NULL, declared BOOLEAN NOT NULL,
                    PRIMARY KEY (user, cluster));
                CREATE INDEX grants_cluster ON grants(cluster);
                CREATE TABLE tokens (
                    id TEXT PRIMARY KEY, user TEXT NOT NULL, sha256 BLOB NOT NULL UNIQUE, last4 TEXT NOT NULL,
                    readOnly BOOLEAN NOT NULL, createdAt REAL NOT NULL, expiresAt REAL, revokedAt REAL);
                CREATE INDEX tokens_user ON tokens(user);
                """)
        }
    }

    public func account(_ name: String) throws -> UserAccount? {
        try state.read { sql in try Self.account(sql, name) }
    }

    public func accounts() throws -> [UserAccount] {
        try state.read { sql in try sql.fetch(UserAccount.self, "SELECT * FROM accounts ORDER BY name") }
    }

    /// A user's grants (every user's when nil), by user then cluster.
    public func grants(user: String? = nil) throws -> [GrantRecord] {
        try state.read { sql in
            if let user { return try sql.fetch(GrantRecord.self, "SELECT * FROM grants WHERE \"user\" = ? ORDER BY \"user\", cluster", user) }
            return try sql.fetch(GrantRecord.self, "SELECT * FROM grants ORDER BY \"user\", cluster")
        }
    }

    public func addAccount(_ name: String, admin: Bool, actor: String) throws {
        try Names.check(name, as: .user)
        try state.write { sql in
            // one insert that finds the name taken, so two controllers adding it at once add it once
            guard try Self.insertAccount(sql, UserAccount(name: name, admin: admin)) else { throw AccessError("user \(name) already exists") }
            try Self.audit(sql, actor: actor, kind: "user.added", cluster: nil, subject: name, detail: admin ? "admin" : nil)
        }
    }

    /// Removes a user, revoking their tokens and dropping their grants. The next configure of a
    /// cluster whose recipe still declares them adds them back (the recipe is that cluster's truth).
    public func removeAccount(_ name: String, actor: String, now: Date = Date()) throws {
        try state.write { sql in
            // read before the account goes: its grants go with it
            let grants = try sql.fetch(GrantRecord.self, "SELECT * FROM grants WHERE \"user\" = ? ORDER BY cluster", name)
            // removed by this delete, first: of callers removing the user at once (PostgreSQL) one
            // does, and a token being made for the user meanwhile is refused, or waited for and revoked
            guard try sql.execute("DELETE FROM accounts WHERE name = ?", [.text(name)]) == 1 else { throw AccessError("no user named \(name)") }
            // the tokens this update revoked, not a read before it a rival's revoke could slip past
            let revoked = try sql.rows("UPDATE tokens SET revokedAt = ? WHERE \"user\" = ? AND revokedAt IS NULL RETURNING id, createdAt", now, name)
                .map { (id: $0[0].string ?? "", createdAt: $0[1].double ?? 0) }
                .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            try sql.execute("DELETE FROM grants WHERE \"user\" = ?", name)
            for token in revoked { try Self.audit(sql, actor: actor, kind: "token.revoked", cluster: nil, subject: token.id, detail: "user \(name) removed") }
            for grant in grants {
                try Self.audit(sql, actor: actor, kind: "grant.changed", cluster: grant.cluster, subject: name, detail: "\(grant.level) -> none (user removed)")
            }
            try Self.audit(sql, actor: actor, kind: "user.removed", cluster: nil, subject: name)
        }
    }

    /// Sets `user`'s level on `cluster` (`recipe grant`). A later run of a recipe that declares
    /// the user replaces it with the declaration.
    public func grant(_ grant: GrantRecord, actor: String) throws {
        try Names.check(grant.cluster, as: .cluster)
        try state.write { sql in
            guard try Self.lockAccount(sql, grant.user) else {
                throw AccessError("no user named \(grant.user) (recipe user add \(grant.user))")
            }
            if let change = try Self.put(sql, grant) {
                try Self.audit(sql, actor: actor, kind: "grant.changed", cluster: grant.cluster, subject: grant.user, detail: change)
            }
        }
    }

    /// Makes `declared` the grants a cluster's recipe gives: users it names are created when
    /// missing and get its level; grants an earlier run declared and this one drops are removed;
    /// grants made with `recipe grant` to users the recipe does not name are left alone.
    public func syncDeclaredGrants(cluster: String, _ declared: [GrantRecord], actor: String) throws {
        try state.write { sql in
            // the events in the order of the changes, appended once the changes are made
            var events: [(kind: String, cluster: String, subject: String, detail: String)] = []
            for grant in declared {
                // a user another controller added meanwhile is left as it is
                if try Self.insertAccount(sql, UserAccount(name: grant.user, admin: false)) {
                    events.append(("user.added", cluster, grant.user, "declared by the recipe"))
                }
                _ = try Self.lockAccount(sql, grant.user)
                if let change = try Self.put(sql, grant) { events.append(("grant.changed", grant.cluster, grant.user, change)) }
            }
            let names = Set(declared.map(\.user))
            for old in try sql.fetch(GrantRecord.self, "SELECT * FROM grants WHERE cluster = ? AND declared = 1 ORDER BY \"user\"", cluster)
            where !names.contains(old.user) {
                try sql.execute("DELETE FROM grants WHERE \"user\" = ? AND cluster = ?", old.user, old.cluster)
                events.append(("grant.changed", cluster, old.user, "\(old.line) -> none (no longer declared)"))
            }
            for event in events {
                try Self.audit(sql, actor: actor, kind: event.kind, cluster: event.cluster, subject: event.subject, detail: event.detail)
            }
        }
    }

    /// The account named `name`, in the caller's transaction.
    static func account(_ sql: any StateSQL, _ name: String) throws -> UserAccount? {
        try sql.fetch(UserAccount.self, "SELECT * FROM accounts WHERE name = ?", name).first
    }

    /// Holds `name`'s row until the transaction ends (a write that changes nothing), so two
    /// changes of one user's grants at once, from two controllers on PostgreSQL, run one after
    /// the other and each reads the other's; false when there is no such user.
    static func lockAccount(_ sql: any StateSQL, _ name: String) throws -> Bool {
        try sql.execute("UPDATE accounts SET admin = admin WHERE name = ?", [.text(name)]) > 0
    }

    /// Adds `account` unless its name is taken; answers whether it did.
    private static func insertAccount(_ sql: any StateSQL, _ account: UserAccount) throws -> Bool {
        try !sql.rows("INSERT INTO accounts(name, admin, createdAt) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING name",
                      account.name, account.admin, account.createdAt).isEmpty
    }

    /// Writes `grant`; answers the change for its event (`old -> new`), nil when there was none.
    private static func put(_ sql: any StateSQL, _ grant: GrantRecord) throws -> String? {
        let old = try sql.fetch(GrantRecord.self, "SELECT * FROM grants WHERE \"user\" = ? AND cluster = ?", grant.user, grant.cluster).first
        guard old != grant else { return nil }
        try sql.upsert(grant, into: "grants", key: ["user", "cluster"])
        return "\(old?.line ?? "none") -> \(grant.line)"
    }

    /// An event in the caller's transaction, so a change and its record land together.
    static func audit(_ db: Database, actor: String, kind: String, cluster: String?, subject: String, detail: String? = nil) throws {
        var event = Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: detail)
        try event.insert(db)
    }
}
