import ArgumentParser
import Cloud
import Engine
import Foundation
import LocalCloud
import LuaKit
import RecipeRuntime
import Store

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a recipe: declare clusters and converge them.")

    @OptionGroup var home: HomeOptions

    @Argument(help: "The recipe file.")
    var file: String

    @Argument(help: "KEY=VALUE arguments, the recipe's `arg` table.")
    var arguments: [String] = []

    @Option(name: .long, help: "Stop the recipe after this many seconds (default: no limit).")
    var timeLimit: Double?

    @Option(name: .long, help: "Memory cap of the Lua VM in MiB.")
    var memoryLimit: Int = 512

    @Flag(name: .long, help: "Print Lua tracebacks with errors.")
    var verbose = false

    func run() async throws {
        var args: [String: String] = [:]
        for argument in arguments {
            guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
                throw ValidationError("argument '\(argument)' is not KEY=VALUE")
            }
            args[String(argument[..<eq])] = String(argument[argument.index(after: eq)...])
        }
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no recipe at \(file)") }
        let store = try Store(home: Store.home(explicit: home.home))
        let engine = Engine(store: store, executable: Executable.path)
        let runner = RecipeRunner(engine: engine, options: RecipeOptions(
            timeLimit: timeLimit, memoryLimit: memoryLimit << 20, arguments: args))
        do {
            let summary = try await runner.run(file: url)
            for cluster in summary.clusters { try await printReach(cluster, engine: engine) }
        } catch let error as LuaError {
            Terminal.error(error.message)
            if verbose && !error.traceback.isEmpty { Terminal.error(error.traceback) }
            throw ExitCode(1)
        }
    }

    /// How to reach every instance of a cluster the recipe declared.
    private func printReach(_ cluster: String, engine: Engine) async throws {
        guard let status = try await engine.status(cluster: cluster).first else { return }
        let ports = Dictionary(grouping: try engine.instances(cluster: cluster, layer: nil), by: \.id)
            .mapValues { $0[0].services.compactMap(\.port) }
        print("\ncluster \(cluster): \(status.instances.count) instances")
        for instance in status.instances {
            let urls = (ports[instance.id] ?? []).map { "http://\(instance.private_ip):\($0)/" }
            let address = instance.public_ip.map { "  elastic ip \($0)" } ?? ""
            let reach = urls.isEmpty ? instance.private_ip : urls.joined(separator: " ")
            print("  \(instance.name.padding(8))  \(instance.id)  \(instance.health.padding(9))  \(reach)\(address)")
        }
    }
}
