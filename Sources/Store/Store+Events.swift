import Foundation
import GRDB

extension Store {
    /// Appends to the event log, cleaned of secrets, and returns the event with its id.
    @discardableResult
    public func record(_ event: Event) throws -> Event {
        var event = event
        if event.causeRun == nil, let cause = EventCause.current { event.caused(by: cause) }
        event.subject = redactor.redact(event.subject)
        event.detail = redactor.redact(event.detail)
        event.result = redactor.redact(event.result)
        return try db.write { [event] db in
            var event = event
            try event.insert(db)
            return event
        }
    }

    /// Events in order, optionally for one cluster and after a given id.
    public func events(cluster: String? = nil, after id: Int64 = 0, kind: String? = nil, limit: Int? = nil) throws -> [Event] {
        try db.read { db in
            var request = Event.filter(Column("id") > id).order(Column("id"))
            if let cluster { request = request.filter(Column("cluster") == cluster) }
            if let kind { request = request.filter(Column("kind") == kind) }
            if let limit { request = request.limit(limit) }
            return try request.fetchAll(db)
        }
    }

    /// The next `limit` events after `id`, in order: the dispatcher's poll, a prepared statement
    /// read without Codable (it runs every few milliseconds).
    public func eventPage(after id: Int64, limit: Int) throws -> [Event] {
        try db.read { db in
            let select = try db.cachedStatement(sql: "SELECT \(Event.fieldColumns) FROM events WHERE id > ? ORDER BY id LIMIT ?")
            return try Row.fetchAll(select, arguments: [id, limit]).map(Event.init(fields:))
        }
    }

    public func event(_ id: Int64) throws -> Event? {
        try db.read { db in try Event.fetchOne(db, key: id) }
    }

    /// The newest event's id (0 for none).
    public func lastEventID() throws -> Int64 {
        try db.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events") ?? 0 }
    }
}
