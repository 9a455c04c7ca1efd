import ArgumentParser
import Cloud
import Engine
import Foundation
import Store

struct VolumesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "volumes", abstract: "A cluster's volumes, attached or not.")

    @OptionGroup var home: HomeOptions
    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster)) var cluster: String
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let volumes = try await Engine.cli(home.store()).listVolumes(cluster: cluster)
        if json { return try Terminal.printJSON(volumes) }
        if volumes.isEmpty { return Terminal.line("no volumes in \(cluster)") }
        for v in volumes {
            let placement = v.instanceID.map { "\($0):\(v.mount ?? "?")" } ?? "detached"
            Terminal.line("\(v.id.padding(22))  \((v.name.isEmpty ? "-" : v.name).padding(10))  \("\(v.sizeGB) GB".padding(6))  "
                          + "\(placement.padding(32))  \(Terminal.time(v.createdAt))")
        }
    }
}

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots", abstract: "A cluster's snapshots, oldest first (Recipes/restore.lua takes one of these ids).")

    @OptionGroup var home: HomeOptions
    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster)) var cluster: String
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let snapshots = try await Engine.cli(home.store()).listSnapshots(cluster: cluster)
        if json { return try Terminal.printJSON(snapshots) }
        if snapshots.isEmpty { return Terminal.line("no snapshots of \(cluster)") }
        for s in snapshots {
            let size = ByteCountFormatter.string(fromByteCount: s.bytes, countStyle: .file)
            Terminal.line("\(s.id.padding(22))  \(s.volumeID.padding(22))  \("\(s.sizeGB) GB".padding(6))  \(size.padding(10))  "
                          + Terminal.time(s.createdAt))
        }
    }
}

struct VolumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "volume", abstract: "Act on one volume.",
                                                    subcommands: [Delete.self])

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove a volume for good (detached first; its snapshots stay).")

        @OptionGroup var home: HomeOptions
        @Argument(help: "The cluster.", transform: NameArgument.of(.cluster)) var cluster: String
        @Argument(help: "The volume's id (recipe volumes CLUSTER lists them).", transform: NameArgument.of(.volumeID)) var id: String

        func run() async throws {
            try await Engine.cli(home.store()).deleteVolume(id, cluster: cluster)
            Terminal.line("deleted volume \(id)")
        }
    }
}

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshot", abstract: "Act on one snapshot.",
                                                    subcommands: [Delete.self])

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove a snapshot for good.")

        @OptionGroup var home: HomeOptions
        @Argument(help: "The cluster.", transform: NameArgument.of(.cluster)) var cluster: String
        @Argument(help: "The snapshot's id (recipe snapshots CLUSTER lists them).", transform: NameArgument.of(.snapshot)) var id: String

        func run() async throws {
            try await Engine.cli(home.store()).deleteSnapshot(id, cluster: cluster)
            Terminal.line("deleted snapshot \(id)")
        }
    }
}
