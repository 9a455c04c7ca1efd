import Cloud
import Foundation

extension Store {
    /// A serve that answers agents says where; the record goes when it stops.
    public func recordController(_ controller: ControllerRecord) throws {
        try state.write { sql in
            try sql.execute("""
                INSERT INTO controllers(\(ControllerRecord.fieldColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET url = excluded.url, agentSha256 = excluded.agentSha256, pid = excluded.pid,
                  host = excluded.host, startedAt = excluded.startedAt, certificate = excluded.certificate
                """, controller.values)
        }
    }

    public func removeController(_ id: String) throws {
        try state.write { sql in try sql.execute("DELETE FROM controllers WHERE id = ?", id) }
    }

    /// The running controllers, newest first; records of those that died are dropped.
    public func controllers() throws -> [ControllerRecord] {
        let all = try state.read { sql in
            try sql.rows("SELECT \(ControllerRecord.fieldColumns) FROM controllers ORDER BY startedAt DESC").map(ControllerRecord.init(fields:))
        }
        let dead = all.filter { !$0.isRunning }
        if !dead.isEmpty {
            try state.write { sql in
                for record in dead { try sql.execute("DELETE FROM controllers WHERE id = ?", record.id) }
            }
        }
        return all.filter(\.isRunning)
    }
}

extension ControllerRecord {
    static let fieldColumns = "id, url, agentSha256, pid, host, startedAt, certificate"

    init(fields row: SQLRow) {
        self.init(url: row[1].string ?? "", agentSha256: row[2].string, certificate: row[6].string, pid: Int32(clamping: row[3].int64 ?? 0),
                  host: row[4].string ?? "", startedAt: row[5].date ?? Date(timeIntervalSince1970: 0))
        id = row[0].string ?? id
    }

    /// Its values in `fieldColumns`' order.
    var values: [SQLValue] {
        [.text(id), .text(url), agentSha256.sqlValue, .integer(Int64(pid)), .text(host), startedAt.sqlValue, certificate.sqlValue]
    }
}
