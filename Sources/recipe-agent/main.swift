// The local provider's per-instance agent, as a binary of its own: it links neither Lua, nor
// the EC2 client's networking and XML libraries, nor the CLI, so each agent stays small.
// `recipe agent` runs the same code in the CLI binary.
import Agent
import Foundation

// Before any thread exists: the agent takes its signals with sigtimedwait.
Agent.blockSignals()

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard flag.hasPrefix("--"), let value = arguments.next() else {
        FileHandle.standardError.write(Data("usage: recipe-agent --instance ID --home DIR [--heartbeat SECONDS]\n".utf8))
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
}
guard let instance = options["instance"], let home = options["home"] else {
    FileHandle.standardError.write(Data("usage: recipe-agent --instance ID --home DIR [--heartbeat SECONDS]\n".utf8))
    exit(2)
}
exit(Agent.main(instanceID: instance, home: URL(fileURLWithPath: home), interval: Double(options["heartbeat"] ?? "") ?? 1))
