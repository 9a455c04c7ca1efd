import Cloud
import Foundation
import LocalCloud
import Store

extension Agent {
    /// What a service (and a command) finds in its environment.
    func environment(port: Int?) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = [:]
        for key in ["PATH", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "HOME"] { env[key] = inherited[key] }
        env["PATH"] = env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        env["ADDRESS"] = instance.privateIP
        env["INSTANCE_ID"] = instance.id
        env["INSTANCE_NAME"] = instance.name
        env["CLUSTER"] = instance.cluster
        env["LAYER"] = instance.layer
        env["ROOT"] = paths.root(of: instance.id).path
        if let port { env["PORT"] = String(port) }
        return env
    }

    func start(service index: Int) {
        let spec = services[index].spec
        let log = paths.logs(of: instanceID).appendingPathComponent("\(spec.name).log").path
        // secrets are read now, as it starts: a value set again reaches the next start
        let commandLine: String, env: [String: String]
        do {
            commandLine = try store.redactor.reveal(services[index].commandLine)
            env = try (spec.env ?? [:]).mapValues { try store.redactor.reveal($0) }
        } catch {
            record("service.failed", spec.name, result: "failed: \(error)")
            services[index].scheduleRestart()
            return
        }
        var options = Spawner.Options(executable: "/bin/sh", arguments: ["-c", commandLine])
        options.environment = environment(port: spec.port).merging(env) { _, declared in declared }
        options.directory = paths.root(of: instanceID).path
        options.stdout = log
        options.newSession = true
        options.parentDeathSignal = SIGKILL
        do {
            let pid = try Spawner.spawn(options)
            services[index].pid = pid
            services[index].startedAt = Date()
            services[index].restartAt = nil
            reports.send(.process(service: spec.name, pid: pid))
        } catch {
            record("service.failed", spec.name, result: "failed: \(error)")
            services[index].scheduleRestart()
        }
    }

    /// Collects exited services and, unless stopping, schedules their restart.
    func reapServices(restart: Bool = true) {
        for index in services.indices {
            guard let pid = services[index].pid else { continue }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { continue }
            _ = kill(-pid, SIGKILL)  // whatever the service left in its group goes with it
            reports.send(.process(service: services[index].spec.name, pid: nil))
            guard restart else {
                services[index].pid = nil
                continue
            }
            services[index].scheduleRestart()
            let how = (status & 0x7f) == 0 ? "exited with \((status >> 8) & 0xff)" : "killed by signal \(status & 0x7f)"
            record("service.exited", services[index].spec.name,
                   detail: "\(how); restarting in \(Int(services[index].restartAt!.timeIntervalSinceNow.rounded())) s",
                   result: "failed: \(how)")
        }
    }

    /// A deploy asks for a restart by creating `$ROOT/run/restart-NAME` (and waking the agent):
    /// the service is stopped gracefully and started again at once, without crash backoff.
    func restartRequested() {
        let run = paths.root(of: instanceID).appendingPathComponent("run")
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
            start(service: index)
            record("service.restarted", services[index].spec.name, detail: "on request")
        }
    }

    func restartDueServices() {
        let now = Date()
        for index in services.indices where services[index].pid == nil {
            if let at = services[index].restartAt, at <= now { start(service: index) }
        }
    }

    func record(_ kind: String, _ subject: String, detail: String? = nil, result: String = "ok") {
        reports.send(.event(Event(actor: "agent:\(instanceID)", cluster: instance.cluster, kind: kind,
                                  subject: "\(instance.name)/\(subject)", detail: detail, result: result)))
    }
}
