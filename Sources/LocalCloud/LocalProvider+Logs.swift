import Cloud
import Foundation

/// Service output: each service's log in the instance's var/log (`NAME.log`, written by the
/// service itself through the agent; `agent.log` is the agent's own and not a service's).
extension LocalProvider {
    public func serviceOutput(of instance: Instance, from offsets: [String: Int64], tail: Int) async -> [ServiceOutput] {
        ServiceOutput.read(folder: paths.logs(of: instance.id), from: offsets, tail: tail)
    }
}
