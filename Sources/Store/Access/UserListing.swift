import Foundation

/// `recipe user list --json` and `GET /api/v1/users`: a user, their grants and live tokens.
public struct UserListing: Codable, Sendable {
    public struct Grant: Codable, Sendable {
        public var cluster, level: String
        public var ssh, sudo, declared: Bool

        public init(_ grant: GrantRecord) {
            (cluster, level, ssh, sudo, declared) = (grant.cluster, grant.level, grant.ssh, grant.sudo, grant.declared)
        }

        /// As `GrantRecord.line` says it: `shop deploy +ssh (recipe)`.
        public var line: String { GrantRecord.line(cluster: cluster, level: level, ssh: ssh, sudo: sudo, declared: declared) }
    }

    public var name: String
    public var admin: Bool
    public var createdAt: Date
    public var grants: [Grant]
    public var tokens: Int

    /// Every user, by name, with how many of their tokens still open something at `now`.
    public static func all(_ store: Store, now: Date = Date()) throws -> [UserListing] {
        let grants = Dictionary(grouping: try store.grants(), by: \.user)
        let live = Dictionary(grouping: try store.tokens().filter { $0.problem(at: now) == nil }, by: \.user)
        return try store.accounts().map { user in
            UserListing(name: user.name, admin: user.admin, createdAt: user.createdAt,
                        grants: (grants[user.name] ?? []).map(Grant.init), tokens: live[user.name]?.count ?? 0)
        }
    }
}

/// `recipe token list --json` and `GET /api/v1/tokens`: a token, never its secret.
public struct TokenListing: Codable, Sendable {
    public var id, user, last4: String
    public var readOnly: Bool
    public var state: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(_ token: TokenRecord, now: Date) {
        (id, user, last4, readOnly, state) = (token.id, token.user, token.last4, token.readOnly, token.state(at: now))
        (createdAt, expiresAt, revokedAt) = (token.createdAt, token.expiresAt, token.revokedAt)
    }
}
