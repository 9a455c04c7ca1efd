import Agent
import ArgumentParser
import Foundation
import Store

/// The per-instance agent of the local provider; started by the provider, not by users.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run a local instance's agent (started by the local provider).", shouldDisplay: false)

    @Option(name: .long) var instance: String
    @Option(name: .long) var home: String
    @Option(name: .long, help: "Seconds between heartbeats.") var heartbeat: Double = 1

    func run() throws {
        let code = Agent.main(instanceID: instance, home: URL(fileURLWithPath: home), interval: heartbeat)
        if code != 0 { throw ExitCode(code) }
    }
}
