import CSystem
import Cloud
import Foundation
import LocalCloud
import Store

/// The process that is a local instance: it keeps the instance's services up, heartbeats into
/// the Store, runs queued commands, samples CPU and memory, and forwards elastic-IP traffic.
///
/// One thread runs the loop and waits for signals with sigtimedwait, so the services it
/// starts (which die when this thread dies) always have a living parent thread.
public final class Agent {
    static let signals: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD]

    let instanceID: String
    let store: Store
    /// The local provider's tables, where this agent's instance is a row.
    var inventory: LocalInventory { LocalInventory(store: store) }
    let paths: LocalPaths
    let interval: Double
    var instance: Instance
    var services: [SupervisedService]
    let sampler: ProcessSampler
    var forwarders: [String: Forwarder] = [:]
    let commands: CommandRunner

    init(instanceID: String, home: URL, interval: Double) throws {
        self.instanceID = instanceID
        self.interval = interval
        store = try Store(home: home, light: true)
        paths = LocalPaths(home: home)
        guard let instance = try LocalInventory(store: store).instance(instanceID) else {
            throw CloudError("instance \(instanceID) is not in the state at \(home.path)")
        }
        self.instance = instance
        services = instance.services.map { SupervisedService(spec: $0) }
        sampler = ProcessSampler(root: getpid())
        commands = CommandRunner(store: store, instance: instance, root: paths.root(of: instanceID))
    }

    /// Blocks the agent's signals in this thread; call it before any other thread starts.
    public static func blockSignals() {
        cs_block_signals(signals, Int32(signals.count))
    }

    /// Runs the agent until it is told to stop; returns the process exit code.
    public static func main(instanceID: String, home: URL, interval: Double) -> Int32 {
        blockSignals()
        do {
            let agent = try Agent(instanceID: instanceID, home: home, interval: interval)
            return try agent.loop()
        } catch {
            FileHandle.standardError.write(Data("agent \(instanceID): \(error)\n".utf8))
            return 1
        }
    }

    private func loop() throws -> Int32 {
        try inventory.setState(instanceID, .running, agentPID: getpid())
        try heartbeat()
        services.indices.forEach { start(service: $0) }
        var nextBeat = Date().addingTimeInterval(interval)
        while true {
            let wake = ([nextBeat] + services.compactMap(\.restartAt)).min()!
            let signal = cs_wait_signal(Self.signals, Int32(Self.signals.count), wake.timeIntervalSinceNow)
            if [SIGTERM, SIGINT, SIGHUP].contains(signal) {
                shutdown()
                return 0
            }
            reapServices()
            if signal == SIGUSR1 {
                restartRequested()  // a deploy asks by file, then wakes us
                commands.runPending()
                commands.stopRequested()
            }
            restartDueServices()
            if Date() >= nextBeat {
                guard let current = try inventory.instance(instanceID) else {
                    // terminated behind our back: nothing left to serve
                    shutdown(recordStop: false)
                    return 0
                }
                instance = current
                try heartbeat()
                syncForwarders()
                commands.runPending()  // in case a wake-up signal was missed
                commands.stopRequested()
                nextBeat = max(nextBeat.addingTimeInterval(interval), Date())
            }
        }
    }

    private func heartbeat() throws {
        let sample = sampler.sample()
        try inventory.heartbeat(instanceID, pid: getpid(), cpuPercent: sample.cpuPercent, memoryBytes: sample.memoryBytes,
                            memoryPercent: sample.memoryPercent, load: sample.load)
    }

    /// Graceful stop: forwarders closed, services sent SIGTERM, then SIGKILL after the grace period.
    func shutdown(recordStop: Bool = true, grace: Double = 10) {
        forwarders.values.forEach { $0.close() }
        forwarders = [:]
        let running = services.compactMap(\.pid)
        running.forEach { _ = kill(-$0, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while running.contains(where: { ProcessControl.isAlive($0) }) && Date() < deadline {
            reapServices(restart: false)
            usleep(20_000)
        }
        running.forEach { _ = kill(-$0, SIGKILL) }
        reapServices(restart: false)
        for service in services { try? inventory.recordProcess(instance: instanceID, service: service.spec.name, pid: nil) }
        if recordStop { try? inventory.setState(instanceID, .stopped, agentPID: nil) }
    }
}
