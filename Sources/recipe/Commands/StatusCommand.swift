import ArgumentParser
import Cloud
import Engine
import Foundation
import Store

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Inventory and health of clusters.")

    @OptionGroup var home: HomeOptions

    @Argument(help: "A cluster (default: all).", transform: NameArgument.of(.cluster))
    var cluster: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        let store = try Store(home: Store.home(explicit: home.home))
        let engine = Engine.cli(store)
        let clusters: [ClusterStatus]
        do {
            clusters = try await engine.status(cluster: cluster)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        let disk = DiskSpace.of(store.home.path)
        if json {
            try Terminal.printJSON(StatusReport(clusters: clusters, home: disk.map(StatusReport.HomeDisk.init)))
            return
        }
        // first, so a full disk is what is read before any unhealthy line it explains
        if let disk, disk.nearFull { print("home \(store.home.path): \(disk.summary)") }
        if clusters.isEmpty {
            print("no clusters in \(store.home.path); recipe run FILE makes one")
            return
        }
        for c in clusters {
            print("\(c.name) (\(c.provider)): \(c.instances.count) instances, \(c.volumes.count) volumes, \(c.addresses.count) addresses")
            for i in c.instances { print(i.line) }
            for d in c.deploys {
                print("  ! app \(d.app): interrupted \(d.kind), fleet mixed: \(d.summary); "
                      + "the next `recipe deploy \(c.name) \(d.app)` or `recipe run` settles it")
            }
            for line in c.disks { print("  disk of \(line)") }
        }
    }
}
