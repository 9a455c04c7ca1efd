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
        let home = URL(fileURLWithPath: home)
        // on a shared PostgreSQL (named by the provider's environment), two connections are plenty
        let shared = StateLocation.databaseURL(explicit: nil).map { _ in
            { () throws -> Store in
                let store = try StateLocation.open(home: home, database: nil, connections: 2)
                // the services it starts never see the database's password
                unsetenv(StateLocation.variable)
                return store
            }
        }
        let code = Agent.main(instanceID: instance, home: home, interval: heartbeat, store: shared)
        if code != 0 { throw ExitCode(code) }
    }
}
