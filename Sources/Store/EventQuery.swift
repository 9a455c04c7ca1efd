import Foundation
import GRDB

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

    func request() -> QueryInterfaceRequest<Event> {
        var request = Event.filter(Column("id") > after)
        if let cluster { request = request.filter(Column("cluster") == cluster) }
        if !kinds.isEmpty {
            let matches = kinds.map { kind -> SQLExpression in
                let family = kind.hasSuffix(".*") ? String(kind.dropLast(2)) : kind
                return Column("kind") == family || SQL("substr(kind, 1, \(family.count + 1)) = \(family + ".")").sqlExpression
            }
            request = request.filter(matches.joined(operator: .or))
        } else if !hidden.isEmpty {
            request = request.filter(!hidden.contains(Column("kind")))
        }
        if let since { request = request.filter(Column("time") >= since.timeIntervalSince1970) }
        if let subjects { request = request.filter(subjects.contains(Column("subject"))) }
        if let actor { request = request.filter(Column("actor") == actor) }
        return request
    }
}

extension Store {
    /// The events a query asks for, oldest first.
    public func events(_ query: EventQuery) throws -> [Event] {
        try db.read { db in
            let request = query.request()
            guard let newest = query.newest else { return try request.order(Column("id")).fetchAll(db) }
            return try request.order(Column("id").desc).limit(newest).fetchAll(db).reversed()
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
