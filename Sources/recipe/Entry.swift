import Agent
import ArgumentParser
import Dispatch
import Foundation

@main
enum Entry {
    static func main() {
        let arguments = GlobalOptions.hoist(Array(CommandLine.arguments.dropFirst()))
        Terminal.streamLines()
        if arguments.first == "agent" {
            if ClientMode.url != nil {
                Terminal.error(ClientMode.refusal("agent"))
                exit(1)
            }
            // The agent waits for signals with sigtimedwait on this thread: block them before any
            // other thread exists, and keep it synchronous so its services' parent thread never ends.
            Agent.blockSignals()
            AgentCommand.main(Array(arguments.dropFirst()))
            return
        }
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await run(arguments)
            done.signal()
        }
        done.wait()
    }

    /// AsyncParsableCommand.main's steps, with one more between parsing and running: with
    /// RECIPE_URL set, a command that cannot work through the API refuses before it touches the home.
    static func run(_ arguments: [String]) async {
        do {
            var command = try RecipeCommand.parseAsRoot(arguments)
            if let refusal = ClientMode.refusal(command) {
                Terminal.error(refusal)
                exit(1)
            }
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as ControllerFailure {
            // a call the controller refused: its words, as a local command prints its error
            Terminal.error(failure.message)
            exit(1)
        } catch {
            RecipeCommand.exit(withError: error)
        }
    }
}
