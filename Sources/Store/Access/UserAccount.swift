import Foundation
import GRDB

/// A person (or tool) who may reach the API: a name, and whether they are admin everywhere.
public struct UserAccount: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, EpochDates {
    public static var databaseTableName: String { "accounts" }
    public var name: String
    public var admin: Bool
    public var createdAt: Date

    public init(name: String, admin: Bool, createdAt: Date = Date()) {
        self.name = name
        self.admin = admin
        self.createdAt = createdAt
    }
}

/// A user's level on one cluster, and whether configure gives them SSH and sudo there.
/// `declared`: written by the cluster's recipe (`users = {}`), which owns it on each run.
public struct GrantRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "grants" }
    public var user: String
    public var cluster: String
    public var level: String
    public var ssh: Bool
    public var sudo: Bool
    public var declared: Bool

    public init(user: String, cluster: String, level: AccessLevel, ssh: Bool = false, sudo: Bool = false, declared: Bool = false) {
        self.user = user
        self.cluster = cluster
        self.level = level.rawValue
        self.ssh = ssh
        self.sudo = sudo
        self.declared = declared
    }

    /// `shop deploy +ssh +sudo (recipe)`, for listings and events.
    public var line: String { Self.line(cluster: cluster, level: level, ssh: ssh, sudo: sudo, declared: declared) }

    static func line(cluster: String, level: String, ssh: Bool, sudo: Bool, declared: Bool) -> String {
        "\(cluster) \(level)" + (ssh ? " +ssh" : "") + (sudo ? " +sudo" : "") + (declared ? " (recipe)" : "")
    }
}
