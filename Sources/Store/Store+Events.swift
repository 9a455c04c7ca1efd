import Foundation

extension Store {
    /// Appends to the event log, cleaned of secrets, and returns the event with its id.
    @discardableResult
    public func record(_ event: Event) throws -> Event {
        var event = event
        if event.causeRun == nil, let cause = EventCause.current { event.caused(by: cause) }
        event.subject = redactor.redact(event.subject)
        event.detail = redactor.redact(event.detail)
        event.result = redactor.redact(event.result)
        event.id = try state.append(to: "events", columns: Event.insertColumns, values: event.insertValues)
        return event
    }

    /// An event in the caller's transaction, so a change and its record land together (append it
    /// last: on PostgreSQL it holds the event log's append lock until the commit).
    static func audit(_ sql: any StateSQL, actor: String, kind: String, cluster: String?, subject: String, detail: String? = nil) throws {
        let event = Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: detail)
        _ = try sql.append(to: "events", columns: Event.insertColumns, values: event.insertValues)
    }

    /// Events in order, optionally for one cluster and after a given id.
    public func events(cluster: String? = nil, after id: Int64 = 0, kind: String? = nil, limit: Int? = nil) throws -> [Event] {
        var conditions = ["id > ?"]
        var arguments: [SQLValue] = [.integer(id)]
        if let cluster { conditions.append("cluster = ?"); arguments.append(.text(cluster)) }
        if let kind { conditions.append("kind = ?"); arguments.append(.text(kind)) }
        let limitClause = limit.map { " LIMIT \($0)" } ?? ""
        return try state.read { sql in
            try sql.rows("SELECT \(Event.fieldColumns) FROM events WHERE \(conditions.joined(separator: " AND ")) ORDER BY id\(limitClause)",
                         arguments).map(Event.init(fields:))
        }
    }

    /// The next `limit` events after `id`, in order: the dispatcher's poll, one prepared
    /// statement read by position (it runs every few milliseconds).
    public func eventPage(after id: Int64, limit: Int) throws -> [Event] {
        try state.read { sql in
            try sql.rows("SELECT \(Event.fieldColumns) FROM events WHERE id > ? ORDER BY id LIMIT ?", id, limit).map(Event.init(fields:))
        }
    }

    public func event(_ id: Int64) throws -> Event? {
        try state.read { sql in
            try sql.rows("SELECT \(Event.fieldColumns) FROM events WHERE id = ?", id).first.map(Event.init(fields:))
        }
    }

    /// The newest event's id (0 for none).
    public func lastEventID() throws -> Int64 {
        try state.read { sql in try sql.value("SELECT MAX(id) FROM events")?.int64 ?? 0 }
    }
}
