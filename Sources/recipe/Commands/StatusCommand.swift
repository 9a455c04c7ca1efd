import ArgumentParser
import Cloud
import Engine
import Foundation
import Store

struct StatusCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Inventory and health of clusters.")

    @OptionGroup var home: HomeOptions

    @Argument(help: "A cluster (default: all).", transform: NameArgument.of(.cluster))
    var cluster: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        if let api = try ClientMode.controller() {
            let data = try await api.get(cluster.map { "clusters/\($0)" } ?? "clusters")
            if json { return Terminal.document(data) }
            let report = try api.decode(StatusReport.self, data)
            for line in report.lines(place: report.home?.path ?? api.url) { print(line) }
            return
        }
        let store = try Store(home: Store.home(explicit: home.home))
        let engine = Engine.cli(store)
        let clusters: [ClusterStatus]
        do {
            clusters = try await engine.status(cluster: cluster)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        let report = StatusReport(clusters: clusters, home: DiskSpace.of(store.home.path).map(StatusReport.HomeDisk.init))
        if json { return try Terminal.printJSON(report) }
        for line in report.lines(place: store.home.path) { print(line) }
    }
}
