import ArgumentParser
import Engine
import Cloud
import Foundation
import Store

struct LogsCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Service, hook, command and deploy output of a cluster's instances.",
        discussion: """
            Hook runs, commands (run(i, cmd)) and deploys keep their whole output (its last 64 KiB), \
            the newest \(Store.logsKept) of each kind per instance; services' output is read from the \
            instances, or for EC2 and registered hosts from the copy their agents ship with each heartbeat \
            (its last 64 KiB; an entry is stamped with the time its log was last written). \
            Secrets show as ***. --json prints one document, {"entries": [...], "warnings": [...]}, each \
            entry {time, cluster, instance, instanceID, kind, source, run, text, exitCode, result}; with \
            --follow, one entry per line instead.
            """)

    @OptionGroup var home: HomeOptions

    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster))
    var cluster: String

    @Argument(help: "Only this instance, by name or id.", transform: NameArgument.of(.instance))
    var instance: String?

    @Option(name: .long, help: "Only this service's output.", transform: NameArgument.of(.service))
    var service: String?

    @Flag(name: .long, help: "Only hook runs.")
    var hook = false

    @Flag(name: .long, help: "Only deploys.")
    var deploy = false

    @Flag(name: .long, help: "Only commands.")
    var command = false

    @Option(name: .long, help: "Only output of the last DURATION (30s, 10m, 2h, 1d) or since a UTC date (2026-11-03T10:00).")
    var since: String?

    @Option(name: .long, help: "Only the newest N entries.")
    var limit: Int?

    @Flag(name: .long, help: "Keep printing new output until interrupted.")
    var follow = false

    @Flag(name: .long, help: "Print JSON (see above).")
    var json = false

    struct Document: Codable {
        var entries: [LogEntry]
        var warnings: [String]
    }

    func run() async throws {
        let query: LogQuery
        do { query = try self.query() } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        if let api = try ClientMode.controller() { return try await remote(api, query) }
        let engine = Engine.cli(try home.store())
        let page: LogPage
        do { page = try await engine.logPage(query) } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        for warning in page.warnings { Terminal.error("warning: \(warning)") }
        guard follow else {
            if json { return try Terminal.printJSON(Document(entries: page.entries, warnings: page.warnings)) }
            for entry in page.entries { Self.show(entry) }
            return
        }
        for entry in page.entries { try show(entry) }
        for try await entry in engine.followLogs(query, from: page.cursor) { try show(entry) }
    }

    /// Through the controller: its newest 200 at most, rendered as locally; no --follow yet.
    private func remote(_ api: ControllerClient, _ query: LogQuery) async throws {
        if follow {
            Terminal.error(ClientMode.refusal("logs --follow"))
            throw ExitCode(1)
        }
        let kind = query.kinds.first?.rawValue
        let data = try await api.get("clusters/\(cluster)/logs", ["instance": instance, "service": service, "kind": kind, "since": since,
                                                                  "limit": limit.map(String.init)])
        if json { return Terminal.document(data) }
        let page = try api.decode(Document.self, data)
        for warning in page.warnings { Terminal.error("warning: \(warning)") }
        for entry in page.entries { Self.show(entry) }
    }

    private func show(_ entry: LogEntry) throws {
        if json { try Terminal.printJSON(entry, pretty: false) } else { Self.show(entry) }
    }

    private func query() throws -> LogQuery {
        let only = [service.map { "--service \($0)" }, hook ? "--hook" : nil, deploy ? "--deploy" : nil, command ? "--command" : nil]
            .compactMap { $0 }
        if only.count > 1 { throw CloudError("\(only.joined(separator: " and ")): choose one of --service, --hook, --deploy, --command") }
        if let limit, limit < 1 { throw CloudError("--limit must be 1 or more") }
        var query = LogQuery(cluster: cluster, instance: instance, service: service, limit: limit)
        if hook { query.kinds = [.hook] }
        if deploy { query.kinds = [.deploy] }
        if command { query.kinds = [.command] }
        if let since { query.since = try LogQuery.since(since) }
        return query
    }

    /// An entry as a line saying when, where and what (and how it ended), then its text indented.
    static func show(_ entry: LogEntry) {
        var head = "\(Terminal.time(entry.time))  \((entry.instance ?? "-").padding(8))  \(entry.kind.rawValue.padding(7))  "
            + EventLine.oneLine(entry.source) + (entry.run.map { " (run \($0))" } ?? "")
        if let code = entry.exitCode {
            head += "  exit \(code)"
        } else if let result = entry.result, entry.kind != .service {
            head += "  " + EventLine.oneLine(result)
        }
        let lines = entry.text.split(separator: "\n", omittingEmptySubsequences: false)
        let body = (lines.last == "" ? lines.dropLast() : lines[...]).map { "    " + $0 }
        Terminal.line(([head] + body).joined(separator: "\n"))
    }
}
