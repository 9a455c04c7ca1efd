import ArgumentParser
import Cloud
import Engine
import Foundation
import PostgresState
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
        if controllers { return try await listControllers() }
        if let api = try ClientMode.controller() {
            let data = try await api.get(cluster.map { "clusters/\($0)" } ?? "clusters")
            if json { return Terminal.document(data) }
            let report = try api.decode(StatusReport.self, data)
            for line in report.lines(place: report.home?.path ?? api.url) { print(line) }
            return
        }
        let store = try home.store()
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
    /// (it holds HOME/serve.lock, or on PostgreSQL the leadership's advisory lock) or stands by.
    private func listControllers() async throws {
        let store = try home.store()
        let leader = try await currentLeader(store)
        let all = try store.controllers()
        let place = StateLocation.databaseURL(explicit: home.database).flatMap { try? DatabaseURL($0).description } ?? store.home.path
        print("\(all.count) controller\(all.count == 1 ? "" : "s") on \(place)" + (leader == nil ? "; none runs the scheduler" : ""))
        for controller in all.sorted(by: { $0.startedAt < $1.startedAt }) {
            let leads = leader.map { controller.pid == $0.pid && controller.host == $0.host } ?? false
            let role = leads ? "runs the scheduler" + (leader?.since.map { " since \($0.ISO8601Format())" } ?? "") : "standing by"
            print("\(controller.url)  pid \(controller.pid) on \(controller.host)  since \(controller.startedAt.ISO8601Format())  \(role)")
        }
    }

    /// Who runs the scheduler: the lease row on PostgreSQL (renewed every second by a living
    /// leader, so one not renewed for 5 s is a leader that is gone), else the home's lock.
    private func currentLeader(_ store: Store) async throws -> (host: String, pid: Int32, since: Date?)? {
        guard let text = StateLocation.databaseURL(explicit: home.database) else {
            return ServeLock.leader(home: store.home).map { (ProcessInfo.processInfo.hostName, $0, nil) }
        }
        guard let lease = try await ControllerLeadership.current(try DatabaseURL(text)), Date().timeIntervalSince(lease.renewed) < 5,
              let colon = lease.holder.lastIndex(of: ":"), let pid = Int32(lease.holder[lease.holder.index(after: colon)...]) else { return nil }
        return (String(lease.holder[..<colon]), pid, lease.since)
    }
}
