import ArgumentParser
import Engine
import Foundation
import Store

struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy", abstract: "Remove every instance, volume and address of a cluster.")

    @OptionGroup var home: HomeOptions

    @Argument(help: "The cluster.")
    var cluster: String

    @Flag(name: .long, help: "Really do it.")
    var yes = false

    func run() async throws {
        let store = try Store(home: Store.home(explicit: home.home))
        let engine = Engine.cli(store)
        let inventory = try await engine.inventory(cluster: cluster)
        guard try store.cluster(cluster) != nil || !inventory.instances.isEmpty || !inventory.volumes.isEmpty else {
            Terminal.error("no cluster named \(cluster)")
            throw ExitCode(1)
        }
        let what = "\(inventory.instances.count) instances, \(inventory.volumes.count) volumes, \(inventory.addresses.count) addresses"
        guard yes else {
            Terminal.error("destroy \(cluster) would remove \(what); pass --yes to do it")
            throw ExitCode(1)
        }
        _ = try await engine.destroy(cluster: cluster)
        print("destroyed \(cluster): \(what)")
    }
}
