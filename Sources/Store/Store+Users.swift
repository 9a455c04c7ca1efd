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
        try db.read { db in try UserAccount.fetchOne(db, key: name) }
    }

    public func accounts() throws -> [UserAccount] {
        try db.read { db in try UserAccount.order(Column("name")).fetchAll(db) }
    }

    /// A user's grants (every user's when nil), by user then cluster.
    public func grants(user: String? = nil) throws -> [GrantRecord] {
        try db.read { db in
            var request = GrantRecord.order(Column("user"), Column("cluster"))
            if let user { request = request.filter(Column("user") == user) }
            return try request.fetchAll(db)
        }
    }

    public func addAccount(_ name: String, admin: Bool, actor: String) throws {
        try Names.check(name, as: .user)
        try db.write { db in
            guard try UserAccount.fetchOne(db, key: name) == nil else { throw AccessError("user \(name) already exists") }
            try UserAccount(name: name, admin: admin).insert(db)
            try Self.audit(db, actor: actor, kind: "user.added", cluster: nil, subject: name, detail: admin ? "admin" : nil)
        }
    }

    /// Removes a user, revoking their tokens and dropping their grants. The next configure of a
    /// cluster whose recipe still declares them adds them back (the recipe is that cluster's truth).
    public func removeAccount(_ name: String, actor: String, now: Date = Date()) throws {
        try db.write { db in
            guard try UserAccount.fetchOne(db, key: name) != nil else { throw AccessError("no user named \(name)") }
            let revoked = try String.fetchAll(db, sql: "SELECT id FROM tokens WHERE user = ? AND revokedAt IS NULL", arguments: [name])
            try db.execute(sql: "UPDATE tokens SET revokedAt = ? WHERE user = ? AND revokedAt IS NULL", arguments: [now.timeIntervalSince1970, name])
            for id in revoked { try Self.audit(db, actor: actor, kind: "token.revoked", cluster: nil, subject: id, detail: "user \(name) removed") }
            for grant in try GrantRecord.filter(Column("user") == name).fetchAll(db) {
                try Self.audit(db, actor: actor, kind: "grant.changed", cluster: grant.cluster, subject: name, detail: "\(grant.level) -> none (user removed)")
            }
            try db.execute(sql: "DELETE FROM grants WHERE user = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM accounts WHERE name = ?", arguments: [name])
            try Self.audit(db, actor: actor, kind: "user.removed", cluster: nil, subject: name)
        }
    }

    /// Sets `user`'s level on `cluster` (`recipe grant`). A later run of a recipe that declares
    /// the user replaces it with the declaration.
    public func grant(_ grant: GrantRecord, actor: String) throws {
        try Names.check(grant.cluster, as: .cluster)
        try db.write { db in
            guard try UserAccount.fetchOne(db, key: grant.user) != nil else {
                throw AccessError("no user named \(grant.user) (recipe user add \(grant.user))")
            }
            try Self.put(db, grant, actor: actor)
        }
    }

    /// Makes `declared` the grants a cluster's recipe gives: users it names are created when
    /// missing and get its level; grants an earlier run declared and this one drops are removed;
    /// grants made with `recipe grant` to users the recipe does not name are left alone.
    public func syncDeclaredGrants(cluster: String, _ declared: [GrantRecord], actor: String) throws {
        try db.write { db in
            for grant in declared {
                if try UserAccount.fetchOne(db, key: grant.user) == nil {
                    try UserAccount(name: grant.user, admin: false).insert(db)
                    try Self.audit(db, actor: actor, kind: "user.added", cluster: cluster, subject: grant.user, detail: "declared by the recipe")
                }
                try Self.put(db, grant, actor: actor)
            }
            let names = Set(declared.map(\.user))
            for old in try GrantRecord.filter(Column("cluster") == cluster && Column("declared") == true).fetchAll(db)
            where !names.contains(old.user) {
                try old.delete(db)
                try Self.audit(db, actor: actor, kind: "grant.changed", cluster: cluster, subject: old.user, detail: "\(old.line) -> none (no longer declared)")
            }
        }
    }

    private static func put(_ db: Database, _ grant: GrantRecord, actor: String) throws {
        let old = try GrantRecord.fetchOne(db, key: ["user": grant.user, "cluster": grant.cluster])
        guard old != grant else { return }
        try grant.save(db)
        try audit(db, actor: actor, kind: "grant.changed", cluster: grant.cluster, subject: grant.user,
                  detail: "\(old?.line ?? "none") -> \(grant.line)")
    }

    /// An event in the caller's transaction, so a change and its record land together.
    static func audit(_ db: Database, actor: String, kind: String, cluster: String?, subject: String, detail: String? = nil) throws {
        var event = Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: detail)
        try event.insert(db)
    }
}
