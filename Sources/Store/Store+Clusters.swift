import Foundation

extension Store {
    public func clusters() throws -> [ClusterRecord] {
        try state.read { sql in try sql.rows("SELECT \(ClusterRecord.fieldColumns) FROM clusters ORDER BY name").map(ClusterRecord.init(fields:)) }
    }

    public func cluster(_ name: String) throws -> ClusterRecord? {
        try state.read { sql in
            try sql.rows("SELECT \(ClusterRecord.fieldColumns) FROM clusters WHERE name = ?", name).first.map(ClusterRecord.init(fields:))
        }
    }

    public func layers(cluster: String) throws -> [LayerRecord] {
        try state.read { sql in
            try sql.rows("SELECT cluster, name, count, spec FROM layers WHERE cluster = ? ORDER BY name", cluster).map { row in
                LayerRecord(cluster: row[0].string ?? "", name: row[1].string ?? "", count: row[2].int ?? 0, spec: row[3].string ?? "")
            }
        }
    }

    /// Records a cluster's declaration and its layers, replacing the previous one (but when it
    /// was first declared).
    public func saveCluster(_ record: ClusterRecord, layers: [LayerRecord]) throws {
        try state.write { sql in
            try sql.execute("""
                INSERT INTO clusters(\(ClusterRecord.fieldColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET provider = excluded.provider, recipePath = excluded.recipePath,
                  recipeHash = excluded.recipeHash, recipeArguments = excluded.recipeArguments, spec = excluded.spec,
                  updatedAt = excluded.updatedAt
                """, record.values)
            try sql.execute("DELETE FROM layers WHERE cluster = ?", record.name)
            for layer in layers {
                try sql.execute("INSERT INTO layers(cluster, name, count, spec) VALUES (?, ?, ?, ?)", layer.cluster, layer.name, layer.count, layer.spec)
            }
        }
    }

    /// Forgets a cluster's declaration, firewall and users, and the grants its recipe declared;
    /// grants made with `recipe grant` stay, as one made before the cluster existed does (its
    /// resources are removed by the provider).
    public func deleteCluster(_ name: String) throws {
        try state.write { sql in
            for table in ["layers", "firewallRules", "users", "logs"] {
                try sql.execute("DELETE FROM \(table) WHERE cluster = ?", name)
            }
            try sql.execute("DELETE FROM grants WHERE cluster = ? AND declared = 1", name)
            try sql.execute("UPDATE deploys SET state = 'abandoned' WHERE cluster = ? AND state IN ('running', 'restoring')", name)
            try sql.execute("DELETE FROM clusters WHERE name = ?", name)
        }
    }
}

extension ClusterRecord {
    static let fieldColumns = "name, provider, recipePath, recipeHash, recipeArguments, spec, createdAt, updatedAt"

    init(fields row: SQLRow) {
        self.init(name: row[0].string ?? "", provider: row[1].string ?? "", recipePath: row[2].string, recipeHash: row[3].string,
                  recipeArguments: row[4].string, spec: row[5].string ?? "", createdAt: row[6].date ?? Date(timeIntervalSince1970: 0),
                  updatedAt: row[7].date ?? Date(timeIntervalSince1970: 0))
    }

    /// Its values in `fieldColumns`' order.
    var values: [SQLValue] {
        [.text(name), .text(provider), recipePath.sqlValue, recipeHash.sqlValue, recipeArguments.sqlValue, .text(spec),
         createdAt.sqlValue, updatedAt.sqlValue]
    }
}
