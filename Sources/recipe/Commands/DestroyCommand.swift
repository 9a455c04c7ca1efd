import ArgumentParser
import Engine
import Foundation
import Store

struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy", abstract: "Remove every instance, volume and address of a cluster.")

    @OptionGroup var home: HomeOptions
    @OptionGroup var lock: LockOptions

    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster))
    var cluster: String

    @Flag(name: .long, help: "Really do it.")
    var yes = false

    @Flag(name: .long, help: "Delete the cluster's snapshots too (kept by default: they are backups).")
    var deleteSnapshots = false

    func run() async throws {
        let store = try Store(home: Store.home(explicit: home.home))
        try lock.apply()
        let engine = Engine.cli(store, progress: Terminal.progress)
        let inventory = try await engine.inventory(cluster: cluster)
        let snapshots = try await engine.listSnapshots(cluster: cluster).count
        guard try store.cluster(cluster) != nil || !inventory.instances.isEmpty || !inventory.volumes.isEmpty || snapshots > 0 else {
            Terminal.error("no cluster named \(cluster)")
            throw ExitCode(1)
        }
        let what = "\(inventory.instances.count) instances, \(inventory.volumes.count) volumes, \(inventory.addresses.count) addresses"
        guard yes else {
            Terminal.error("destroy \(cluster) would remove \(what) and \(deleteSnapshots ? "delete" : "keep") \(snapshots) snapshots; "
                           + "pass --yes to do it")
            throw ExitCode(1)
        }
        let report: DestroyReport
        do {
            report = try await engine.destroy(cluster: cluster, deleteSnapshots: deleteSnapshots)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        Terminal.line("destroyed \(cluster): \(what)")
        if !report.deletedSnapshots.isEmpty { Terminal.line("deleted \(report.deletedSnapshots.count) snapshots") }
        if !report.keptSnapshots.isEmpty {
            Terminal.line("kept \(report.keptSnapshots.count) snapshots: recipe snapshots \(cluster) lists them "
                          + "(recipe destroy \(cluster) --yes --delete-snapshots removes them)")
        }
    }
}
