import CProcess
import Cloud
import Foundation
import LocalCloud
import Store

/// The process that is a local instance: it keeps the instance's services up, heartbeats into
/// the Store, runs queued commands, samples CPU and memory, and forwards elastic-IP traffic.
///
/// The state failing (a full disk, a read-only, locked or damaged file) never stops it: what it
/// reports waits in `reports` and is retried, its services stay supervised, and it says so in its
/// own log, whose size is bounded like its services' logs.
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
    var services: ServiceSupervisor!
    let sampler: ProcessSampler
    var forwarders: [String: Forwarder] = [:]
    let commands: CommandRunner
    /// What it has yet to write into the state, retried while the state refuses it.
    let reports: ReportQueue
    let log: AgentLog
    /// When a failed read of the state was last logged (one line a minute at most).
    var lastReadFailure: Date?

    init(instanceID: String, home: URL, interval: Double, store open: (() throws -> Store)? = nil) throws {
        self.instanceID = instanceID
        self.interval = interval
        // a held lock costs the loop at most half a second; the write is retried later
        store = try open?() ?? Store(home: home, light: true, lockWait: 0.5)
        paths = LocalPaths(home: home)
        guard let instance = try LocalInventory(store: store).instance(instanceID) else {
            throw CloudError("instance \(instanceID) is not in the state at \(home.path)")
        }
        self.instance = instance
        sampler = ProcessSampler(root: getpid())
        log = AgentLog(instance: instanceID, path: paths.logs(of: instanceID).appendingPathComponent("agent.log").path)
        reports = ReportQueue(store: store, instance: instanceID, cluster: instance.cluster, log: log)
        commands = CommandRunner(store: store, instance: instance, root: paths.root(of: instanceID), reports: reports)
        let root = paths.root(of: instanceID)
        services = ServiceSupervisor(specs: instance.services, root: root, environment: ServiceSupervisor.environment(of: instance, root: root),
                                     hooks: .init(reveal: { [store] in try store.redactor.reveal($0) },
                                                  record: { [unowned self] in record($0, $1, detail: $2, result: $3) },
                                                  processChanged: { [reports] in reports.send(.process(service: $0, pid: $1)) }))
    }

    /// Blocks the agent's signals in this thread; call it before any other thread starts.
    public static func blockSignals() {
        cs_block_signals(signals, Int32(signals.count))
    }

    /// Runs the agent until it is told to stop; returns the process exit code.
    /// `store`: opens a state other than the home's SQLite file (a shared PostgreSQL).
    public static func main(instanceID: String, home: URL, interval: Double, store: (() throws -> Store)? = nil) -> Int32 {
        blockSignals()
        do {
            let agent = try Agent(instanceID: instanceID, home: home, interval: interval, store: store)
            return agent.loop()
        } catch {
            LogBound.write(2, "agent \(instanceID): \(error)\n")
            return 1
        }
    }

    private func loop() -> Int32 {
        reports.send(.state(.running, pid: getpid()))
        heartbeat()
        services.startAll()
        var nextBeat = Date().addingTimeInterval(interval)
        var nextLogCheck = Date()
        var nextLogins = Date()
        var beats = 0
        while true {
            let wake = ([nextBeat, nextLogCheck] + [services.nextRestart].compactMap { $0 } + [reports.nextAttempt].compactMap { $0 }).min()!
            let signal = cs_wait_signal(Self.signals, Int32(Self.signals.count), wake.timeIntervalSinceNow)
            if [SIGTERM, SIGINT, SIGHUP].contains(signal) {
                shutdown()
                return 0
            }
            services.reap()
            if signal == SIGUSR1 {
                services.restartRequested()  // a deploy asks by file, then wakes us
                commands.runPending()
                commands.stopRequested()
            }
            services.restartDue()
            reports.deliver()
            if Date() >= nextLogCheck {
                boundLogs()
                nextLogCheck = Date().addingTimeInterval(Self.logCheckInterval)
            }
            if Date() >= nextBeat {
                switch Result(catching: { try inventory.instance(instanceID) }) {
                case .success(nil):
                    // terminated behind our back: nothing left to serve
                    shutdown(recordStop: false)
                    return 0
                case let .success(current?):
                    instance = current
                    syncForwarders()
                case let .failure(error):
                    // an unreadable state is not a terminated instance: keep serving, say so now and then
                    readFailed(error)
                }
                heartbeat()
                beats += 1
                if beats == 2 { StartupPages.release() }  // started: services up, a beat written
                if Date() >= nextLogins {
                    syncLogins()
                    nextLogins = Date().addingTimeInterval(Self.loginsInterval)
                }
                commands.runPending()  // in case a wake-up signal was missed
                commands.stopRequested()
                nextBeat = max(nextBeat.addingTimeInterval(interval), Date())
            }
        }
    }

    private func heartbeat() {
        reports.send(.heartbeat(sampler.sample(), pid: getpid(), at: Date()))
    }

    private func readFailed(_ error: any Error) {
        if let last = lastReadFailure, Date().timeIntervalSince(last) < 60 { return }
        lastReadFailure = Date()
        log.line("cannot read the state (\(Store.reason(error))); services keep running as they were")
    }

    /// Seconds between looks at the logs' sizes: a service writing 10 MB/s passes the bound by
    /// at most a few MB.
    static let logCheckInterval = 0.25

    /// Each service's log, and the agent's own, kept under the log bound.
    private func boundLogs() {
        services.boundLogs()
        if let path = log.path { LogBound.trim(path) }
    }

    /// Graceful stop: forwarders closed, services sent SIGTERM, then SIGKILL after the grace period.
    func shutdown(recordStop: Bool = true, grace: Double = 10) {
        forwarders.values.forEach { $0.close() }
        forwarders = [:]
        services.stopAll(grace: grace)
        if recordStop { reports.send(.state(.stopped, pid: nil)) }
        reports.deliver(now: true)  // its last words, once: a state that refuses them loses them
        if reports.count > 0 { log.line("stopping with \(reports.count) reports the state did not take") }
    }
}
