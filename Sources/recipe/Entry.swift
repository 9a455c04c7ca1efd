import Agent
import ArgumentParser
import Dispatch

@main
enum Entry {
    static func main() {
        let arguments = GlobalOptions.hoist(Array(CommandLine.arguments.dropFirst()))
        Terminal.streamLines()
        if arguments.first == "agent" {
            // The agent waits for signals with sigtimedwait on this thread: block them before any
            // other thread exists, and keep it synchronous so its services' parent thread never ends.
            Agent.blockSignals()
            AgentCommand.main(Array(arguments.dropFirst()))
            return
        }
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await RecipeCommand.main(arguments)
            done.signal()
        }
        done.wait()
    }
}
