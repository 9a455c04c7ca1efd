import Cloud
import Foundation

/// The processes a home's local instances run, found without its state: agents by the home on
/// their command line, services by a working folder inside the home's instance roots. What
/// `recipe agents stop` and `recipe destroy --force` stop when state.db cannot be read.
public enum HomeProcesses {
    /// Pids of the home's agents and services, agents first.
    public static func find(home: URL) -> [pid_t] {
        let instances = LocalPaths(home: home).base.appendingPathComponent("instances").resolvingSymlinksInPath().path + "/"
        let me = getpid()
        var agents: [pid_t] = [], services: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != me, ProcessControl.isAlive(pid) else { continue }
            let words = ((try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data())
                .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if let flag = words.firstIndex(of: "--home"), flag + 1 < words.count,
               URL(fileURLWithPath: words[flag + 1]).standardizedFileURL.path == home.standardizedFileURL.path,
               words.contains("--instance") {
                agents.append(pid)
            } else if let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"), cwd.hasPrefix(instances) {
                services.append(pid)
            }
        }
        return agents + services
    }

    /// SIGTERM to each (a service's whole group), SIGKILL to what is left after `grace` seconds.
    /// Answers how many were stopped.
    public static func stopAll(home: URL, grace: Double = 5) async -> Int {
        let pids = find(home: home)
        await withTaskGroup(of: Void.self) { group in
            for pid in pids { group.addTask { await ProcessControl.stop(pid, group: false, grace: grace) } }
        }
        // what a stopped agent left of its services' groups
        for pid in find(home: home) { _ = kill(pid, SIGKILL) }
        return pids.count
    }
}
