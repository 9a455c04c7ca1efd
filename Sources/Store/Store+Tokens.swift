import Cloud
import Foundation

extension Store {
    /// Makes a token for `user` and returns its secret, which exists nowhere else: the Store
    /// keeps its SHA-256 and its last 4 characters.
    public func createToken(user: String, lifetime: TimeInterval?, readOnly: Bool, actor: String, now: Date = Date()) throws -> (secret: String, record: TokenRecord) {
        let secret = TokenSecret.generate()
        let record = TokenRecord(id: TokenSecret.newID(), user: user, sha256: Digest.sha256(Data(secret.utf8)), last4: String(secret.suffix(4)),
                                 readOnly: readOnly, createdAt: now, expiresAt: lifetime.map { TokenRecord.second(now.addingTimeInterval($0)) })
        try state.write { sql in
            // the account's row held (an update that changes nothing) until the token is in: a removal
            // at the same moment (PostgreSQL) waits for it and revokes it, or went first and this is refused
            guard try sql.execute("UPDATE accounts SET admin = admin WHERE name = ?", [.text(user)]) == 1 else {
                throw AccessError("no user named \(user) (recipe user add \(user))")
            }
            try sql.insert(record, into: "tokens")
            let expiry = record.expiresAt.map { "expires \(TokenRecord.format($0))" } ?? "never expires"
            try Self.audit(sql, actor: actor, kind: "token.created", cluster: nil, subject: record.id,
                           detail: "for \(user), \(readOnly ? "read-only, " : "")\(expiry)")
        }
        return (secret, record)
    }

    /// A user's tokens (everyone's when nil), oldest first; revoked and expired ones too.
    public func tokens(user: String? = nil) throws -> [TokenRecord] {
        try state.read { sql in
            if let user { return try sql.fetch(TokenRecord.self, "SELECT * FROM tokens WHERE \"user\" = ? ORDER BY createdAt, id", user) }
            return try sql.fetch(TokenRecord.self, "SELECT * FROM tokens ORDER BY createdAt, id")
        }
    }

    public func revokeToken(_ id: String, actor: String, now: Date = Date()) throws {
        try state.write { sql in
            guard let token = try sql.fetch(TokenRecord.self, "SELECT * FROM tokens WHERE id = ?", id).first else {
                throw AccessError("no token with id \(id) (recipe token list)")
            }
            // revoked only while it is not yet, so of two controllers revoking it at once one does
            guard token.revokedAt == nil,
                  try sql.execute("UPDATE tokens SET revokedAt = ? WHERE id = ? AND revokedAt IS NULL", [now.sqlValue, .text(id)]) == 1 else {
                throw AccessError("token \(id) was already revoked")
            }
            try Self.audit(sql, actor: actor, kind: "token.revoked", cluster: nil, subject: id, detail: "of \(token.user)")
        }
    }

    /// Who presents `secret`: the token's identity (a user's, or an agent's), or why not (a 401 for the API). The lookup
    /// is by the secret's SHA-256; the match is then checked in constant time, so neither the
    /// index nor the compare tells anything about a secret that was not presented.
    public func authenticate(token secret: String, now: Date = Date()) throws -> Result<Identity, AuthenticationFailure> {
        if secret.hasPrefix(TokenSecret.agentPrefix) {
            guard let instance = try agentInstance(token: secret) else {
                return .failure(AuthenticationFailure(reason: "the agent token is not known (its instance was terminated, or it never registered)"))
            }
            return .success(.agent(instanceID: instance))
        }
        return try authenticate(tokenSha256: Digest.sha256(Data(secret.utf8)), now: now)
    }

    /// A person's token by its SHA-256 (a console session keeps that, never the secret).
    public func authenticate(tokenSha256 hash: Data, now: Date = Date()) throws -> Result<Identity, AuthenticationFailure> {
        // the token, its user and the user's grants, in one round trip on PostgreSQL (every API call asks)
        let key = [SQLValue.blob(Array(hash))], user = "(SELECT \"user\" FROM tokens WHERE sha256 = ?)"
        let answers = try state.read { sql in
            try sql.rows(each: [("SELECT * FROM tokens WHERE sha256 = ?", key), ("SELECT * FROM accounts WHERE name = \(user)", key),
                                ("SELECT * FROM grants WHERE \"user\" = \(user) ORDER BY cluster", key)])
        }
        guard let token = try answers[0].first.map({ try SQLRowDecoder.decode(TokenRecord.self, from: $0) }),
              Digest.constantTimeEqual(token.sha256, hash) else {
            return .failure(AuthenticationFailure(reason: "the token is not known"))
        }
        if let problem = token.problem(at: now) { return .failure(AuthenticationFailure(reason: problem)) }
        guard let account = try answers[1].first.map({ try SQLRowDecoder.decode(UserAccount.self, from: $0) }), account.name == token.user else {
            return .failure(AuthenticationFailure(reason: "token \(token.id)'s user \(token.user) no longer exists"))
        }
        let grants = try answers[2].map { try SQLRowDecoder.decode(GrantRecord.self, from: $0) }
        return .success(.token(token, user: account, grants: grants))
    }
}

/// A presented token that opens nothing: the API answers 401 with `reason`.
public struct AuthenticationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var status: Int { 401 }
    public var description: String { reason }
}
