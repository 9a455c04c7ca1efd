import ArgumentParser
import Engine
import Foundation
import Store

struct EventsCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "The event (audit) log.",
        discussion: "Hides command.internal (the tool's own commands: deploy steps, cookbooks' service control) unless --all or --kind names it.")

    @OptionGroup var home: HomeOptions

    @Option(name: .long, help: "Only this cluster's events.")
    var cluster: String?

    @Option(name: .long, help: "Only this kind or family (deploy matches deploy.*; repeatable).")
    var kind: [String] = []

    @Option(name: .long, help: "Only events of the last DURATION (30s, 10m, 2h, 1d).")
    var since: String?

    @Option(name: .long, help: "Only the newest N.")
    var limit: Int?

    @Option(name: .long, help: "Only events about this instance (by name or id).")
    var instance: String?

    @Option(name: .long, help: "Only events by this actor (e.g. owner, user:alice, token:alice…x9Qk, scheduler).")
    var actor: String?

    @Flag(name: .long, help: "Include the tool's own bookkeeping (command.internal).")
    var all = false

    @Flag(name: .long, help: "Print JSON lines.")
    var json = false

    @Flag(name: .long, help: "Keep printing new events.")
    var follow = false

    func run() async throws {
        if let api = try ClientMode.controller() { return try await remote(api) }
        let store = try home.store()
        var query = try self.query(store)
        repeat {
            for event in try store.events(query) {
                query.after = event.id ?? query.after
                try show(event)
            }
            query.newest = nil
            if follow { try await Task.sleep(nanoseconds: 500_000_000) }
        } while follow
    }

    private func show(_ event: Event) throws {
        if json { try Terminal.printJSON(event, pretty: false) } else { Terminal.line(EventLine.text(event)) }
    }

    /// Through the API, which serves one cluster's log: a page of it, then (--follow) its live
    /// stream from the last event printed on, so nothing between the two is missed or repeated.
    private func remote(_ api: ControllerClient) async throws {
        guard let cluster else { throw ControllerFailure("recipe events: through the API, name the cluster (--cluster C)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
        if let since { do { _ = try Interval.seconds(since) } catch { throw ValidationError("--since: \(error)") } }
        var query: [String: String?] = ["kind": kind.isEmpty ? nil : kind.joined(separator: ","), "since": since,
                                        "limit": limit.map(String.init), "instance": instance, "actor": actor, "all": all ? "true" : nil]
        let page = try api.decode([Event].self, try await api.get("clusters/\(cluster)/events", query))
        for event in page { try show(event) }
        guard follow else { return }
        query["limit"] = nil
        query["after"] = String(page.last?.id ?? 0)
        try await api.stream("clusters/\(cluster)/events/stream", query) { message in
            // the data is the event as `--json` prints it, one line
            if json { return Terminal.line(message.data) }
            try show(api.decode(Event.self, Data(message.data.utf8)))
        }
    }

    private func query(_ store: Store) throws -> EventQuery {
        var query = EventQuery(cluster: cluster)
        query.kinds = kind
        if all { query.hidden = [] }
        do { query.since = try since.map { Date().addingTimeInterval(-(try Interval.seconds($0))) } } catch {
            throw ValidationError("--since: \(error)")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
        query.newest = limit
        query.subjects = try instance.map { try store.subjects(ofInstance: $0, cluster: cluster) }
        query.actor = actor
        return query
    }
}

/// One event as one table line: multi-line details stay on the line (`\n` written out).
enum EventLine {
    static func text(_ event: Event) -> String {
        let detail = event.detail.map { "  " + oneLine($0) } ?? ""
        return "\(Terminal.time(event.time))  \(event.kind.padding(20))  \((event.subject ?? "-").padding(16))  "
            + "\(oneLine(event.result))\(detail)  [\(event.actor)\(cause(event))]"
    }

    /// What caused it, when a hook run did: `run 12 on #40` (the run, and the event it ran on).
    static func cause(_ event: Event) -> String {
        guard let run = event.causeRun else { return "" }
        return ", run \(run)" + (event.causeEvent.map { " on #\($0)" } ?? "")
    }

    static func oneLine(_ text: String) -> String {
        text.trimmingCharacters(in: .newlines)
            .replacingOccurrences(of: "\r\n", with: "\\n").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\t", with: " ")
    }
}
