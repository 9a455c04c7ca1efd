import Cloud
import Engine
import Foundation
import Hummingbird
import Store

/// The event (audit) log of a cluster: a page of it, a live stream (Server-Sent Events), and
/// events of the caller's own (`recipe emit`).
extension API {
    var eventRoutes: [APIRoute] {
        [
            APIRoute(.get, "/api/v1/clusters/{cluster}/events", .action(.status)) { try $0.api.events($0) },
            APIRoute(.post, "/api/v1/clusters/{cluster}/events", .action(.run)) { try $0.api.emit($0) },
            APIRoute(.get, "/api/v1/clusters/{cluster}/events/stream", .action(.status)) { try $0.api.stream($0) },
        ]
    }

    /// The query `recipe events` builds from its flags, from the query string.
    func eventQuery(_ call: APICall) throws -> EventQuery {
        _ = try call.requireCluster()
        var query = EventQuery(cluster: call.cluster)
        if let kind = call.query["kind"] { query.kinds = kind.split(separator: ",").map(String.init) }
        if try call.flag("all") { query.hidden = [] }
        if let since = call.query["since"] {
            do { query.since = Date().addingTimeInterval(-(try Interval.seconds(since))) } catch { throw APIProblem(400, "since: \(error)") }
        }
        if let limit = try call.integer("limit") {
            guard limit >= 1 else { throw APIProblem(400, "limit must be 1 or more") }
            query.newest = limit
        }
        if let after = try call.integer("after") { query.after = Int64(after) }
        query.subjects = try call.query["instance"].map { try store.subjects(ofInstance: $0, cluster: call.cluster) }
        query.actor = call.query["actor"]
        return query
    }

    func events(_ call: APICall) throws -> APIAnswer {
        try .document(try store.events(eventQuery(call)))
    }

    struct EmitRequest: Decodable {
        var kind: String
        var subject: String?
        var detail: String?
    }

    func emit(_ call: APICall) throws -> APIAnswer {
        let request = try call.decode(EmitRequest.self)
        if let problem = EventKinds.problem(with: request.kind) { throw APIProblem(422, problem) }
        _ = try call.requireCluster()
        let event = try store.record(Event(actor: call.identity.actor, cluster: call.cluster, kind: request.kind,
                                           subject: request.subject, detail: request.detail))
        return try .document(event, status: .created)
    }

    /// `text/event-stream`: every event of the cluster after `after` (or the Last-Event-ID a
    /// reconnecting client sends), then each new one as it is recorded; `limit` ends it after so many.
    func stream(_ call: APICall) throws -> APIAnswer {
        var asked = try eventQuery(call)
        let limit = asked.newest
        asked.newest = nil
        if let last = call.lastEventID { asked.after = max(asked.after, last) }
        let query = asked
        let feed = self.feed
        let store = self.store
        let body = ResponseBody { writer in
            let (id, live) = feed.subscribe(cluster: query.cluster)
            defer { feed.unsubscribe(id) }
            var sent = 0
            var last = query.after
            func send(_ event: Event) async throws -> Bool {
                guard let eventID = event.id, eventID > last else { return true }
                last = eventID
                guard query.matches(event) else { return true }
                try await writer.write(ByteBuffer(bytes: try ServerSentEvent.encode(event)))
                sent += 1
                return limit.map { sent < $0 } ?? true
            }
            // what was recorded before this client subscribed, then the live feed
            for event in try store.events(query) where !(try await send(event)) { return try await writer.finish(nil) }
            for await item in live {
                guard let event = item else {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    continue
                }
                if !(try await send(event)) { break }
            }
            try await writer.finish(nil)
        }
        var response = Response(status: .ok, body: body)
        response.headers[.contentType] = "text/event-stream"
        response.headers[.cacheControl] = "no-cache"
        return .response(response)
    }
}

extension APICall {
    /// The id a reconnecting EventSource sends back.
    var lastEventID: Int64? { headers["last-event-id"].flatMap { Int64($0) } }
}
