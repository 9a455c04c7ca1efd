import Cloud
import Foundation
import GRDB

extension Store {
    /// A serve that answers agents says where; the record goes when it stops.
    public func recordController(_ controller: ControllerRecord) throws {
        try db.write { db in try controller.save(db) }
    }

    public func removeController(_ id: String) throws {
        try db.write { db in _ = try ControllerRecord.deleteOne(db, key: id) }
    }

    /// The running controllers, newest first; records of those that died are dropped.
    public func controllers() throws -> [ControllerRecord] {
        let all = try db.read { db in try ControllerRecord.order(Column("startedAt").desc).fetchAll(db) }
        let dead = all.filter { !$0.isRunning }
        if !dead.isEmpty {
            try db.write { db in _ = try ControllerRecord.deleteAll(db, keys: dead.map(\.id)) }
        }
        return all.filter(\.isRunning)
    }
}
