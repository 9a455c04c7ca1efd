import Foundation
import GRDB

extension Store {
    public func clusters() throws -> [ClusterRecord] {
        try db.read { db in try ClusterRecord.order(Column("name")).fetchAll(db) }
    }

    public func cluster(_ name: String) throws -> ClusterRecord? {
        try db.read { db in try ClusterRecord.fetchOne(db, key: name) }
    }

    public func layers(cluster: String) throws -> [LayerRecord] {
        try db.read { db in try LayerRecord.filter(Column("cluster") == cluster).order(Column("name")).fetchAll(db) }
    }

    /// Records a cluster's declaration and its layers, replacing the previous one.
    public func saveCluster(_ record: ClusterRecord, layers: [LayerRecord]) throws {
        try db.write { db in
            var record = record
            if let existing = try ClusterRecord.fetchOne(db, key: record.name) { record.createdAt = existing.createdAt }
            try record.save(db)
            try db.execute(sql: "DELETE FROM layers WHERE cluster = ?", arguments: [record.name])
            for layer in layers { try layer.insert(db) }
        }
    }

    /// Forgets a cluster's declaration, firewall and users, and the grants its recipe declared;
    /// grants made with `recipe grant` stay, as one made before the cluster existed does (its
    /// resources are removed by the provider).
    public func deleteCluster(_ name: String) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM layers WHERE cluster = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM firewallRules WHERE cluster = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM users WHERE cluster = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM logs WHERE cluster = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM grants WHERE cluster = ? AND declared", arguments: [name])
            try db.execute(sql: "UPDATE deploys SET state = 'abandoned' WHERE cluster = ? AND state IN ('running', 'restoring')",
                           arguments: [name])
            _ = try ClusterRecord.deleteOne(db, key: name)
        }
    }
}
