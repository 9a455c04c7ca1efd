import Foundation
import GRDB

/// A firewall rule as stored: a layer accepts `port/proto` from `source` (a CIDR or a layer).
public struct FirewallRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "firewallRules" }
    public var cluster: String
    public var layer: String
    public var port: Int
    public var `protocol`: String
    public var source: String

    public init(cluster: String, layer: String, port: Int, protocol: String, source: String) {
        self.cluster = cluster
        self.layer = layer
        self.port = port
        self.protocol = `protocol`
        self.source = source
    }
}

/// A user of a cluster and their role.
public struct UserRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "users" }
    public var cluster: String
    public var name: String
    public var role: String
    public var sshKey: String?
    public var sudo: Bool

    public init(cluster: String, name: String, role: String, sshKey: String?, sudo: Bool) {
        self.cluster = cluster
        self.name = name
        self.role = role
        self.sshKey = sshKey
        self.sudo = sudo
    }
}

extension Store {
    public func firewall(cluster: String) throws -> [FirewallRecord] {
        try state.read { sql in
            try sql.fetch(FirewallRecord.self, "SELECT * FROM firewallRules WHERE cluster = ? ORDER BY layer, port, protocol, source", cluster)
        }
    }

    public func users(cluster: String) throws -> [UserRecord] {
        try state.read { sql in try sql.fetch(UserRecord.self, "SELECT * FROM users WHERE cluster = ? ORDER BY name", cluster) }
    }

    /// Replaces the cluster's firewall rules and users in one transaction.
    public func saveAccess(cluster: String, firewall: [FirewallRecord], users: [UserRecord]) throws {
        try state.write { sql in
            try sql.execute("DELETE FROM firewallRules WHERE cluster = ?", cluster)
            try sql.execute("DELETE FROM users WHERE cluster = ?", cluster)
            for rule in firewall { try sql.insert(rule, into: "firewallRules") }
            for user in users { try sql.insert(user, into: "users") }
        }
    }
}
