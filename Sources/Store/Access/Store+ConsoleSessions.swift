import Cloud
import Foundation
import GRDB

/// The console's sign-ins: a session cookie's secret stands for the token the person signed in
/// with. Only SHA-256s are kept (the session's and the token's), so the state file opens
/// nothing; the token's own expiry and revocation still hold, checked on every request.
extension Store {
    /// Hours a session lasts after its sign-in.
    public static let consoleSessionHours = 12.0

    static func migrateConsoleSessions(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v14: console sessions") { db in
            try db.execute(sql: """
                CREATE TABLE consoleSessions (
                    sha256 BLOB PRIMARY KEY, tokenSha256 BLOB NOT NULL, csrf TEXT NOT NULL,
                    createdAt REAL NOT NULL, expiresAt REAL NOT NULL);
                """)
        }
    }

    /// A session for whoever `token` is (a person's token, good now): the cookie's secret and
    /// the session's CSRF token, which every form it posts must carry.
    public func openConsoleSession(token: String, now: Date = Date()) throws -> Result<ConsoleSession, AuthenticationFailure> {
        guard !token.hasPrefix(TokenSecret.agentPrefix) else { return .failure(AuthenticationFailure(reason: "an agent's token opens no console")) }
        let tokenHash = Digest.sha256(Data(token.utf8))
        switch try authenticate(tokenSha256: tokenHash, now: now) {
        case .failure(let failure): return .failure(failure)
        case .success(let identity):
            let secret = TokenSecret.generate(prefix: TokenSecret.sessionPrefix)
            let csrf = TokenSecret.generate(prefix: "")
            try state.write { sql in
                try sql.execute("DELETE FROM consoleSessions WHERE expiresAt < ?", now)
                try sql.execute("INSERT INTO consoleSessions (sha256, tokenSha256, csrf, createdAt, expiresAt) VALUES (?, ?, ?, ?, ?)",
                                [.blob(Array(Digest.sha256(Data(secret.utf8)))), .blob(Array(tokenHash)), .text(csrf), now.sqlValue,
                                 now.addingTimeInterval(Self.consoleSessionHours * 3600).sqlValue])
                try Self.audit(sql, actor: identity.actor, kind: "console.signed_in", cluster: nil, subject: identity.actor, detail: nil)
            }
            return .success(ConsoleSession(secret: secret, csrf: csrf, identity: identity))
        }
    }

    /// The session a cookie's secret names, with who it is now; why not otherwise.
    public func consoleSession(_ secret: String, now: Date = Date()) throws -> Result<ConsoleSession, AuthenticationFailure> {
        let row = try state.read { sql in
            try sql.rows("SELECT tokenSha256, csrf, expiresAt FROM consoleSessions WHERE sha256 = ?",
                         SQLValue.blob(Array(Digest.sha256(Data(secret.utf8))))).first
        }
        guard let row, case .blob(let tokenHash) = row["tokenSha256"], let csrf = row["csrf"].string,
              let expires = row["expiresAt"].double else {
            return .failure(AuthenticationFailure(reason: "not signed in"))
        }
        guard expires > now.timeIntervalSince1970 else { return .failure(AuthenticationFailure(reason: "the session ended: sign in again")) }
        switch try authenticate(tokenSha256: Data(tokenHash), now: now) {
        case .failure(let failure): return .failure(failure)
        case .success(let identity): return .success(ConsoleSession(secret: secret, csrf: csrf, identity: identity))
        }
    }

    public func closeConsoleSession(_ session: ConsoleSession) throws {
        try state.write { sql in
            try sql.execute("DELETE FROM consoleSessions WHERE sha256 = ?", SQLValue.blob(Array(Digest.sha256(Data(session.secret.utf8)))))
            try Self.audit(sql, actor: session.identity.actor, kind: "console.signed_out", cluster: nil, subject: session.identity.actor)
        }
    }
}

/// A signed-in console: its cookie's secret, the CSRF token its forms carry, and who it is.
public struct ConsoleSession: Sendable {
    public let secret: String
    public let csrf: String
    public let identity: Identity
}
