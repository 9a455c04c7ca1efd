import ArgumentParser
import Cloud
import Engine
import Foundation
import Scheduler
import Store

struct StatusCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Inventory and health of clusters.")

    @OptionGroup var home: HomeOptions

    @Argument(help: "A cluster (default: all).", transform: NameArgument.of(.cluster))
    var cluster: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Flag(name: .long, help: "The controllers (recipe serve) on this home: which runs the scheduler, which stand by.")
    var controllers = false

    func run() async throws {
        if controllers { return try listControllers() }
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

    /// One line a controller: where it answers, since when, and whether it runs the scheduler
    /// (it holds HOME/serve.lock) or stands by to take over.
    private func listControllers() throws {
        let store = try Store(home: Store.home(explicit: home.home))
        let leader = ServeLock.leader(home: store.home)
        let all = try store.controllers()
        print("\(all.count) controller\(all.count == 1 ? "" : "s") on \(store.home.path)" + (leader == nil ? "; none runs the scheduler" : ""))
        for controller in all.sorted(by: { $0.startedAt < $1.startedAt }) {
            let role = controller.pid == leader && controller.host == ProcessInfo.processInfo.hostName ? "runs the scheduler" : "standing by"
            print("\(controller.url)  pid \(controller.pid) on \(controller.host)  since \(controller.startedAt.ISO8601Format())  \(role)")
        }
    }
}
