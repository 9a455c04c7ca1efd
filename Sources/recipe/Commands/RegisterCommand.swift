import ArgumentParser
import Cloud
import Engine
import Foundation
import RecipeRuntime
import Store

/// `recipe register CLUSTER LAYER ssh://user@host[:port][/root] [--identity FILE]`: a machine you
/// already have joins a layer of a hosts cluster, as `aws opsworks register` and `juju add-machine
/// ssh:` do it. The host is set aside for the layer and the layer grows by one: the launch
/// connects with OpenSSH, checks root or sudo, copies the agent and starts it, and the layer's
/// hooks set it up. It runs where the state is (the SSH connection starts here).
struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register", abstract: "Bring a machine you have into a layer of a hosts cluster, over SSH.",
        discussion: "The login must be root or have sudo without a password. `recipe serve` must run (with --advertise URL where the host reaches it): the agent pulls its work from it. `recipe scale CLUSTER LAYER -1` or `recipe destroy` gives the host back, with the agent and what the tool put there removed.")

    @OptionGroup var home: HomeOptions
    @OptionGroup var lock: LockOptions

    @Argument(help: "The cluster (its recipe says provider = { kind = \"hosts\" }).", transform: NameArgument.of(.cluster))
    var cluster: String

    @Argument(help: "The layer the host joins.", transform: NameArgument.of(.layer))
    var layer: String

    @Argument(help: "ssh://user@host[:port][/root]: root is the folder the agent treats as /, the whole machine by default.")
    var host: String

    @Option(help: "The private key ssh logs in with (default: ssh's own).")
    var identity: String?

    func run() async throws {
        let (cluster, layer) = (cluster, layer)
        do {
            try lock.apply()
            let address = try HostAddress(parsing: host)
            let identity = try identity.map { path in
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                guard FileManager.default.isReadableFile(atPath: absolute) else { throw CloudError("--identity \(path): no readable key there") }
                return absolute
            }
            let store = try home.store()
            guard let record = try store.cluster(cluster) else { throw CloudError("cluster \(cluster) is not known (recipe run its recipe first)") }
            let spec = try record.declaration()
            guard spec.provider == "hosts" else {
                throw CloudError("cluster \(cluster) runs on provider \(spec.provider): recipe register brings hosts to clusters whose recipe says provider = { kind = \"hosts\" }")
            }
            guard spec.layers.contains(where: { $0.name == layer }) else { throw CloudError("cluster \(cluster) has no layer \(layer)") }
            try store.reserveHost(address, cluster: cluster, layer: layer, identity: identity)
            let engine = Engine.cli(store, progress: Terminal.progress)
            let report: ConvergeReport
            do {
                report = try await RecordedRecipe.withHooks(engine: engine, cluster: cluster, warn: { Terminal.error($0) }) { hooks in
                    try await engine.scale(cluster, layer: layer, to: "+1", hooks: hooks)
                }
            } catch {
                // the layer's recorded count back to what it was, and the host no longer set aside
                let before = spec.layers.first { $0.name == layer }?.count ?? 0
                do {
                    _ = try await RecordedRecipe.withHooks(engine: engine, cluster: cluster, warn: { Terminal.error($0) }) { hooks in
                        try await engine.scale(cluster, layer: layer, to: String(before), hooks: hooks)
                    }
                } catch let second {
                    Terminal.error("\(cluster)/\(layer): could not put the count back to \(before): \(second)")
                }
                if try store.hostMachines(cluster: cluster).contains(where: { $0.address == address.description && $0.instanceID == nil }) {
                    try store.forgetHost(address)
                }
                throw error
            }
            let joined = try store.hostMachines(cluster: cluster).first { $0.address == address.description }
            guard let name = joined?.name else {
                throw CloudError("\(address) was set aside for \(cluster)/\(layer), but no instance was launched on it")
            }
            print("registered \(address) as \(name) (\(cluster)/\(layer))")
            try RecipeArguments.reportFailures(report.failures)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }
}
