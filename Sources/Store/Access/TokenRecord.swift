import Foundation
import GRDB

/// A token as stored: never its secret, only the secret's SHA-256 and its last 4 characters.
public struct TokenRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "tokens" }
    public var id: String
    public var user: String
    public var sha256: Data
    public var last4: String
    public var readOnly: Bool
    public var createdAt: Date
    /// nil: never expires.
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: String, user: String, sha256: Data, last4: String, readOnly: Bool, createdAt: Date, expiresAt: Date?, revokedAt: Date? = nil) {
        (self.id, self.user, self.sha256, self.last4, self.readOnly) = (id, user, sha256, last4, readOnly)
        (self.createdAt, self.expiresAt, self.revokedAt) = (createdAt, expiresAt, revokedAt)
    }

    /// `token:alice…x9Qk`: whose token, and the end of it the holder can recognise.
    public var actor: String { "token:\(user)…\(last4)" }

    /// Why the token no longer opens anything at `now` (nil while it does).
    public func problem(at now: Date) -> String? {
        if let revokedAt { return "token \(id) was revoked at \(Self.format(revokedAt))" }
        if let expiresAt, expiresAt <= now { return "token \(id) expired at \(Self.format(expiresAt))" }
        return nil
    }

    /// `active`, `expired` or `revoked`, for listings.
    public func state(at now: Date) -> String {
        revokedAt != nil ? "revoked" : (expiresAt.map { $0 <= now } ?? false) ? "expired" : "active"
    }

    static func format(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// An expiry to the whole second, as it is shown: the state keeps dates to the millisecond,
    /// rounded, so an unrounded one could be kept a fraction later than it was given.
    static func second(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }
}
