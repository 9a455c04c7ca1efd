import ArgumentParser
import Controller
import Engine
import Foundation
import LocalCloud
import Store

struct DestroyCommand: AsyncParsableCommand, ThroughAPI {
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

    @Flag(name: .long, help: "When the state cannot be read, stop every agent and service of the home's local instances anyway.")
    var force = false

    func run() async throws {
        if let api = try ClientMode.controller() { return try await remote(api) }
        let folder = Store.home(explicit: home.home)
        let store: Store
        do {
            store = try home.store()
        } catch {
            Terminal.error("\(error)")
            guard force, yes else {
                Terminal.error("recipe destroy \(cluster) --yes --force stops the home's agents and services without the state")
                throw ExitCode(1)
            }
            // without the state no instance can be told apart by cluster: the home's are all stopped
            let stopped = await HomeProcesses.stopAll(home: folder)
            Terminal.line("the state of \(folder.path) cannot be read: stopped all \(stopped) processes of its local instances")
            return
        }
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
        tell(what: what, deleted: report.deletedSnapshots.count, kept: report.keptSnapshots.count)
    }

    /// Through the API: what would go is asked first (the status), as locally; snapshots are
    /// not listed by the API, so the refusal without --yes does not count them.
    private func remote(_ api: ControllerClient) async throws {
        guard !force else { throw ControllerFailure("recipe destroy --force: not available through the API (it stops the local home's processes)") }
        guard yes else {
            let status = try api.decode(StatusReport.self, try await api.get("clusters/\(cluster)"))
            let what = status.clusters.first.map { "\($0.instances.count) instances, \($0.volumes.count) volumes, \($0.addresses.count) addresses" }
            Terminal.error("destroy \(cluster) would remove \(what ?? "everything") and \(deleteSnapshots ? "delete" : "keep") its snapshots; "
                           + "pass --yes to do it")
            throw ExitCode(1)
        }
        let query: [String: String?] = (try lock.query()).merging(["delete_snapshots": deleteSnapshots ? "true" : nil]) { $1 }
        let done = try api.decode(APIDocuments.Destroyed.self, try await api.send("DELETE", "clusters/\(cluster)", query))
        tell(what: "\(done.instances) instances, \(done.volumes) volumes, \(done.addresses) addresses",
             deleted: done.deleted_snapshots.count, kept: done.kept_snapshots.count)
    }

    private func tell(what: String, deleted: Int, kept: Int) {
        Terminal.line("destroyed \(cluster): \(what)")
        if deleted > 0 { Terminal.line("deleted \(deleted) snapshots") }
        if kept > 0 {
            Terminal.line("kept \(kept) snapshots: recipe snapshots \(cluster) lists them "
                          + "(recipe destroy \(cluster) --yes --delete-snapshots removes them)")
        }
    }
}
