import Foundation

/// CPU and memory of a process tree, and the machine's load, read from /proc.
final class ProcessSampler {
    struct Sample: Sendable {
        var cpuPercent: Double
        var memoryBytes: Int64
        /// Of the machine's memory.
        var memoryPercent: Double
        /// The 1-minute load average.
        var load: Double
    }

    let root: pid_t
    private var lastTicks: Int64?
    private var lastTime: Date?
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
    private lazy var memoryTotal = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(pageSize)

    init(root: pid_t) {
        self.root = root
    }

    func sample() -> Sample {
        var children: [pid_t: [pid_t]] = [:]
        var stats: [pid_t: (ticks: Int64, rss: Int64)] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { continue }
            // after "comm)": state(3) ppid(4) ... utime(14) stime(15) ... rss(24), so field n is at n - 3
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 21, let ppid = pid_t(fields[1]), ppid != pid else { continue }
            children[ppid, default: []].append(pid)
            stats[pid] = ((Int64(fields[11]) ?? 0) + (Int64(fields[12]) ?? 0), (Int64(fields[21]) ?? 0) * pageSize)
        }
        var ticks: Int64 = 0
        var rss: Int64 = 0
        var queue = [root]
        while let pid = queue.popLast() {
            if let s = stats[pid] {
                ticks += s.ticks
                rss += s.rss
            }
            queue += children[pid] ?? []
        }
        let now = Date()
        var cpu = 0.0
        if let lastTicks, let lastTime, now > lastTime {
            cpu = max(0, Double(ticks - lastTicks) / ticksPerSecond / now.timeIntervalSince(lastTime) * 100)
        }
        lastTicks = ticks
        lastTime = now
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.flatMap { Double($0) } ?? 0
        return Sample(cpuPercent: cpu, memoryBytes: rss, memoryPercent: memoryTotal > 0 ? Double(rss) / memoryTotal * 100 : 0, load: load)
    }
}
