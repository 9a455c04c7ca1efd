import Foundation

/// Which events `recipe events` (and any reader of the log) wants: every field narrows the set.
public struct EventQuery: Sendable, Equatable {
    public var cluster: String?
    /// Only events after this id (a follower's cursor).
    public var after: Int64 = 0
    /// Kinds or families: `deploy` matches `deploy` and every `deploy.*`; `deploy.failed` matches itself.
    public var kinds: [String] = []
    public var since: Date?
    /// Events whose subject is one of these (an instance's name and ids).
    public var subjects: [String]?
    public var actor: String?
    /// Left out unless `kinds` names them: the engine's own bookkeeping.
    public var hidden: Set<String> = EventKinds.hiddenByDefault
    /// Only the newest this many (still returned oldest first).
    public var newest: Int?

    public init(cluster: String? = nil) { self.cluster = cluster }

    /// Whether `event` is one the query asks for, as `request()` filters in SQL (but `newest`):
    /// a live stream checks each new event with it.
    public func matches(_ event: Event) -> Bool {
        guard (event.id ?? 0) > after, cluster == nil || event.cluster == cluster else { return false }
        if !kinds.isEmpty {
            let hit = kinds.contains { kind in
                let family = kind.hasSuffix(".*") ? String(kind.dropLast(2)) : kind
                return event.kind == family || event.kind.hasPrefix(family + ".")
            }
            if !hit { return false }
        } else if hidden.contains(event.kind) {
            return false
        }
        if let since, event.time < since { return false }
        if let subjects, !subjects.contains(event.subject ?? "\u{0}") { return false }
        if let actor, event.actor != actor { return false }
        return true
    }

    /// The query's WHERE clause and its arguments, as `matches` filters (but `newest`).
    func condition() -> (sql: String, arguments: [SQLValue]) {
        var conditions = ["id > ?"]
        var arguments: [SQLValue] = [.integer(after)]
        func oneOf(_ column: String, _ values: [String]) {
            conditions.append(values.isEmpty ? "0 = 1" : "\(column) IN (\(placeholders(values.count)))")
            arguments += values.map(SQLValue.text)
        }
        if let cluster { conditions.append("cluster = ?"); arguments.append(.text(cluster)) }
        if !kinds.isEmpty {
            let families = kinds.map { $0.hasSuffix(".*") ? String($0.dropLast(2)) : $0 }
            // the length is a literal: PostgreSQL's substr takes an integer, not a bound bigint
            conditions.append("(" + families.map { "kind = ? OR substr(kind, 1, \($0.count + 1)) = ?" }.joined(separator: " OR ") + ")")
            for family in families { arguments += [.text(family), .text(family + ".")] }
        } else if !hidden.isEmpty {
            oneOf("kind", hidden.sorted())
            conditions[conditions.count - 1] = "NOT " + conditions[conditions.count - 1]
        }
        if let since { conditions.append("time >= ?"); arguments.append(.real(since.timeIntervalSince1970)) }
        if let subjects { oneOf("subject", subjects) }
        if let actor { conditions.append("actor = ?"); arguments.append(.text(actor)) }
        return (conditions.joined(separator: " AND "), arguments)
    }
}

extension Store {
    /// The events a query asks for, oldest first.
    public func events(_ query: EventQuery) throws -> [Event] {
        let (condition, arguments) = query.condition()
        let select = "SELECT \(Event.fieldColumns) FROM events WHERE \(condition)"
        return try state.read { sql in
            guard let newest = query.newest else { return try sql.rows(select + " ORDER BY id", arguments).map(Event.init(fields:)) }
            return try sql.rows(select + " ORDER BY id DESC LIMIT \(newest)", arguments).map(Event.init(fields:)).reversed()
        }
    }

    /// What events name an instance by: its name, and the ids the log recorded for that name
    /// (`instance.launched` says `NAME at ADDRESS`, `instance.terminated` says `NAME`).
    public func subjects(ofInstance name: String, cluster: String?) throws -> [String] {
        var query = EventQuery(cluster: cluster)
        query.kinds = ["instance.launched", "instance.terminated"]
        let ids = try events(query).filter { event in
            guard let detail = event.detail else { return false }
            return detail == name || detail.hasPrefix(name + " ")
        }.compactMap(\.subject)
        return [name] + Set(ids).sorted()
    }
}
