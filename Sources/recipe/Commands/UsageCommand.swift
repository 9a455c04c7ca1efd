import ArgumentParser
import Engine
import Foundation
import RecipeRuntime
import Store

struct UsageCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Instance-hours, volume GB-months and their on-demand cost, from the event log.",
        discussion: """
            Each hour is attributed to why it ran (declared, autoscale, heal, manual) and who caused \
            it. Prices come from the shipped, dated Stdlib/prices/ec2-on-demand.csv (approximate \
            public on-demand Linux prices) unless --prices names another file; local instances cost 0.
            """)

    @OptionGroup var home: HomeOptions

    @Option(name: .long, help: "Only this cluster.")
    var cluster: String?

    @Option(name: .long, help: "A calendar month, UTC: 2026-11 (the default: this month).")
    var month: String?

    @Option(name: .long, help: "From this instant, UTC: 2026-11-03 or 2026-11-03T10:00.")
    var since: String?

    @Option(name: .long, help: "Until this instant, UTC (default: now).")
    var until: String?

    @Option(name: .long, help: "Group by cluster, layer, user, cause or instance_type.")
    var by = "cluster"

    @Option(name: .long, help: "A price CSV (kind,region,name,usd) instead of the shipped one.")
    var prices: String?

    @Flag(name: .long, help: "Print one JSON document.")
    var json = false

    @Flag(name: .long, help: "Print CSV.")
    var csv = false

    func run() async throws {
        if json && csv { fail("--json and --csv: choose one") }
        if let api = try ClientMode.controller() { return try await remote(api) }
        let (from, to): (Date, Date)
        let dimension: Usage.Dimension
        do {
            (from, to) = try Usage.window(month: month, since: since, until: until)
            dimension = try Usage.dimension(by)
        } catch { fail("\(error)") }
        let table: PriceTable
        do {
            table = try PriceTable.load(prices.map { URL(fileURLWithPath: $0) }
                ?? StdlibLocator.find().appendingPathComponent("prices/ec2-on-demand.csv"))
        } catch { fail("prices: \(error)") }
        let store = try home.store()
        if let cluster, try store.cluster(cluster) == nil, try store.events(cluster: cluster, limit: 1).isEmpty {
            fail("no cluster named \(cluster)")
        }
        let report = try Engine.cli(store).usage(cluster: cluster, since: from, until: to, by: dimension, prices: table)
        let document = report.document(pricesAsOf: table.asOf)
        for warning in document.warnings { Terminal.error("warning: \(warning)") }
        if json { return try Terminal.printJSON(document) }
        show(document)
    }

    /// Through the API, which prices with the controller's shipped table.
    private func remote(_ api: ControllerClient) async throws {
        if prices != nil { fail("recipe usage --prices: not available through the API (the controller prices with its own table)") }
        let query: [String: String?] = ["month": month, "since": since, "until": until, "by": by]
        let data = try await api.get(cluster.map { "clusters/\($0)/usage" } ?? "usage", query)
        let document = try api.decode(Usage.Report.Document.self, data)
        for warning in document.warnings { Terminal.error("warning: \(warning)") }
        if json { return Terminal.document(data) }
        show(document)
    }

    private func fail(_ message: String) -> Never {
        Terminal.error(message)
        Foundation.exit(1)
    }

    private func show(_ document: Usage.Report.Document) {
        if csv { printCSV(document) } else { printTable(document) }
    }

    private func printCSV(_ document: Usage.Report.Document) {
        print("\(document.by),instance_seconds,instance_hours,volume_gb_months,cost_usd")
        for line in document.rows + [document.total] {
            let key = line.key.contains(",") || line.key.contains("\"") ? "\"" + line.key.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : line.key
            print("\(key),\(line.instanceSeconds),\(line.instanceHours),\(line.volumeGBMonths),\(line.costUSD ?? "unknown")")
        }
    }

    private func printTable(_ document: Usage.Report.Document) {
        print("usage \(document.since) .. \(document.until), by \(document.by)" + (document.pricesAsOf.map { ", prices as of \($0)" } ?? ""))
        guard !document.rows.isEmpty else {
            print("no instance or volume ran in that window")
            return
        }
        let cells = (document.rows + [document.total]).map { row in
            [row.key, Usage.Report.hoursMinutes(row.instanceSeconds), row.volumeGBMonths, row.costUSD.map { "$" + $0 } ?? "unknown"]
        }
        let header = [document.by, "instance h:mm", "volume GB-months", "cost"]
        let widths = (0..<4).map { i in (cells + [header]).map { $0[i].count }.max()! }
        func show(_ row: [String]) {
            print(row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  "))
        }
        show(header)
        for row in cells { show(row) }
    }
}
