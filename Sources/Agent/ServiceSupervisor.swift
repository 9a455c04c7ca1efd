import CProcess
import Cloud
import Foundation
import Toolkit

/// The services an agent keeps running, on both links: each started with `/bin/sh -c` in the
/// machine's root, its output in `ROOT/var/log/NAME.log`, restarted with backoff when it exits,
/// and at once when a deploy asks (`ROOT/run/restart-NAME`, then SIGUSR1 to the agent). Used from
/// the agent's signal thread only: the services die with the thread that started them.
final class ServiceSupervisor {
    /// What the agent is told of a service: an event (kind, service, detail, result) and its new pid.
    struct Hooks {
        /// Puts a command line's or a variable's secrets in, as the service starts.
        var reveal: (String) throws -> String
        var record: (_ kind: String, _ service: String, _ detail: String?, _ result: String) -> Void
        var processChanged: (_ service: String, _ pid: pid_t?) -> Void
    }

    private(set) var services: [SupervisedService]
    let root: URL
    /// The variables every service finds (ADDRESS, INSTANCE_ID, ROOT, ...), PORT added per service.
    var environment: [String: String]
    let hooks: Hooks

    init(specs: [ServiceSpec], root: URL, environment: [String: String], hooks: Hooks) {
        services = specs.map { SupervisedService(spec: $0) }
        self.root = root
        self.environment = environment
        self.hooks = hooks
    }

    var logs: URL { root.appendingPathComponent("var/log") }

    /// The variables of the machine's agent that services inherit, and the instance's own.
    static func environment(of instance: Instance, root: URL) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = [:]
        for key in ["PATH", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "HOME"] { env[key] = inherited[key] }
        env["PATH"] = env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        env["ADDRESS"] = instance.privateIP
        env["INSTANCE_ID"] = instance.id
        env["INSTANCE_NAME"] = instance.name
        env["CLUSTER"] = instance.cluster
        env["LAYER"] = instance.layer
        env["ROOT"] = root.path
        return env
    }

    /// When the next service in backoff is due, if any.
    var nextRestart: Date? { services.compactMap(\.restartAt).min() }

    var pids: [pid_t] { services.compactMap(\.pid) }

    func startAll() { services.indices.forEach(start) }

    func start(_ index: Int) {
        let spec = services[index].spec
        try? FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        // secrets are read now, as it starts: a value set again reaches the next start
        let commandLine: String, env: [String: String]
        do {
            commandLine = try hooks.reveal(services[index].commandLine)
            env = try (spec.env ?? [:]).mapValues(hooks.reveal)
        } catch {
            hooks.record("service.failed", spec.name, nil, "failed: \(error)")
            services[index].scheduleRestart()
            return
        }
        var options = Spawner.Options(executable: "/bin/sh", arguments: ["-c", commandLine])
        var base = environment
        if let port = spec.port { base["PORT"] = String(port) }
        options.environment = base.merging(env) { _, declared in declared }
        options.directory = root.path
        options.stdout = logs.appendingPathComponent("\(spec.name).log").path
        options.newSession = true
        options.parentDeathSignal = SIGKILL
        do {
            let pid = try Spawner.spawn(options)
            services[index].pid = pid
            services[index].startedAt = Date()
            services[index].restartAt = nil
            hooks.processChanged(spec.name, pid)
        } catch {
            hooks.record("service.failed", spec.name, nil, "failed: \(error)")
            services[index].scheduleRestart()
        }
    }

    /// Collects exited services and, unless stopping, schedules their restart.
    func reap(restart: Bool = true) {
        for index in services.indices {
            guard let pid = services[index].pid else { continue }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { continue }
            _ = kill(-pid, SIGKILL)  // whatever the service left in its group goes with it
            hooks.processChanged(services[index].spec.name, nil)
            guard restart else {
                services[index].pid = nil
                continue
            }
            services[index].scheduleRestart()
            let how = (status & 0x7f) == 0 ? "exited with \((status >> 8) & 0xff)" : "killed by signal \(status & 0x7f)"
            hooks.record("service.exited", services[index].spec.name,
                         "\(how); restarting in \(Int(services[index].restartAt!.timeIntervalSinceNow.rounded())) s", "failed: \(how)")
        }
    }

    /// A deploy asks for a restart by creating `$ROOT/run/restart-NAME` (and waking the agent):
    /// the service is stopped gracefully and started again at once, without crash backoff.
    func restartRequested() {
        let run = root.appendingPathComponent("run")
        for index in services.indices {
            // unlink, not FileManager: no error object is built for the usual "no request"
            guard unlink(run.appendingPathComponent("restart-\(services[index].spec.name)").path) == 0 else { continue }
            if let pid = services[index].pid {
                _ = kill(-pid, SIGTERM)
                var status: Int32 = 0
                var waited = 0
                while waitpid(pid, &status, WNOHANG) == 0 && waited < 500 {
                    usleep(10_000)
                    waited += 1
                }
                if waited >= 500 {
                    _ = kill(-pid, SIGKILL)
                    waitpid(pid, &status, 0)
                }
            }
            services[index].failures = 0
            start(index)
            hooks.record("service.restarted", services[index].spec.name, "on request", "ok")
        }
    }

    func restartDue() {
        let now = Date()
        for index in services.indices where services[index].pid == nil {
            if let at = services[index].restartAt, at <= now { start(index) }
        }
    }

    /// Each service's log kept under the log bound.
    func boundLogs() {
        for service in services { LogBound.trim(logs.appendingPathComponent("\(service.spec.name).log").path) }
    }

    /// Graceful stop: SIGTERM to every service's group, SIGKILL after the grace period.
    func stopAll(grace: Double = 10) {
        let running = pids
        running.forEach { _ = kill(-$0, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while running.contains(where: { ProcessControl.isAlive($0) }) && Date() < deadline {
            reap(restart: false)
            usleep(20_000)
        }
        running.forEach { _ = kill(-$0, SIGKILL) }
        reap(restart: false)
        for service in services { hooks.processChanged(service.spec.name, nil) }
    }
}
