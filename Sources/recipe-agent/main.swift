// The per-instance agent, as a binary of its own: it links neither Lua, nor the EC2 client's
// networking and XML libraries, nor the CLI, so each agent stays small. Two links:
//   recipe-agent --instance ID --home DIR                  a local instance: the home's Store
//   recipe-agent --instance ID --controller URL[,URL…] --state DIR [--root DIR] [--ca FILE]
//                                                          a remote machine: its controllers, in turn
//   recipe-agent --forget machine --state DIR [--root DIR] a machine leaving: logins and written files go
// `recipe agent` runs the same code in the CLI binary.
import Agent
import Foundation

// Before any thread exists: the agent takes its signals with sigtimedwait.
Agent.blockSignals()

let usage = """
    usage: recipe-agent --instance ID --home DIR [--heartbeat SECONDS]
           recipe-agent --instance ID --controller URL[,URL...] --state DIR [--root DIR] [--ca FILE] [--heartbeat SECONDS]
           recipe-agent --forget machine --state DIR [--root DIR]

    """
var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard flag.hasPrefix("--"), let value = arguments.next() else {
        FileHandle.standardError.write(Data(usage.utf8))
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
}
let heartbeat = Double(options["heartbeat"] ?? "")
if options["forget"] == "machine", let state = options["state"] {
    exit(RemoteAgent.forgetMachine(state: URL(fileURLWithPath: state), root: URL(fileURLWithPath: options["root"] ?? "/")))
}
switch (options["instance"], options["home"], options["controller"], options["state"]) {
case let (instance?, home?, nil, _):
    exit(Agent.main(instanceID: instance, home: URL(fileURLWithPath: home), interval: heartbeat ?? 1))
case let (instance?, nil, controller?, state?):
    exit(RemoteAgent.main(controller: controller, instanceID: instance, state: URL(fileURLWithPath: state),
                          root: URL(fileURLWithPath: options["root"] ?? "/"), interval: heartbeat ?? 5, caFile: options["ca"]))
default:
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
