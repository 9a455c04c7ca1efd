import Cloud
import Foundation
import LocalCloud
import Store

/// One thing an agent tells the state. Reports wait in the agent's `ReportQueue` while the
/// state cannot be written, and are delivered in order once it can.
enum Report: Sendable {
    /// The agent's own state (running as `pid`, or stopped).
    case state(Instance.State, pid: Int32?)
    case heartbeat(ProcessSampler.Sample, pid: Int32, at: Date)
    case event(Event)
    /// A service's process (nil once it exited), so it can be found if the agent is gone.
    case process(service: String, pid: Int32?)
    case completion(command: Int64, result: CommandResult, stopped: Bool)

    func deliver(to store: Store, instance: String) throws {
        let inventory = LocalInventory(store: store)
        switch self {
        case let .state(state, pid): try inventory.setState(instance, state, agentPID: pid)
        case let .heartbeat(sample, pid, time):
            try inventory.heartbeat(instance, pid: pid, cpuPercent: sample.cpuPercent, memoryBytes: sample.memoryBytes,
                                    memoryPercent: sample.memoryPercent, load: sample.load, at: time)
        case let .event(event): _ = try store.record(event)
        case let .process(service, pid): try inventory.recordProcess(instance: instance, service: service, pid: pid)
        case let .completion(id, result, stopped): try store.completeCommand(id, result: result, stopped: stopped)
        }
    }

    /// Heartbeats (their samples) and events may be dropped, oldest first, when too many wait;
    /// states, processes and command outcomes never are.
    var droppable: Bool {
        switch self {
        case .heartbeat, .event: return true
        default: return false
        }
    }

    /// The service a process report is about: a newer one replaces it while both wait.
    var service: String? {
        if case let .process(service, _) = self { return service }
        return nil
    }
}
