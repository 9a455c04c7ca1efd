import Cloud
import Engine

/// `recipe status` as text, from its JSON document: the local command and a client of the
/// controller render the same document with this one function.
extension StatusReport {
    /// - Parameter place: where the clusters live, for "no clusters in …" (the home, or the controller).
    func lines(place: String) -> [String] {
        var lines: [String] = []
        // first, so a full disk is what is read before any unhealthy line it explains
        if let home, home.near_full { lines.append("home \(home.path): \(home.summary)") }
        if clusters.isEmpty {
            lines.append("no clusters in \(place); recipe run FILE makes one")
            return lines
        }
        for c in clusters {
            lines.append("\(c.name) (\(c.provider)): \(c.instances.count) instances, \(c.volumes.count) volumes, \(c.addresses.count) addresses")
            for i in c.instances { lines.append(i.line) }
            for d in c.deploys {
                lines.append("  ! app \(d.app): interrupted \(d.kind), fleet mixed: \(d.summary); "
                             + "the next `recipe deploy \(c.name) \(d.app)` or `recipe run` settles it")
            }
            for line in c.disks { lines.append("  disk of \(line)") }
        }
        return lines
    }
}

extension StatusReport.HomeDisk {
    /// `97% full (2 MB free)`, as DiskSpace says it.
    var summary: String {
        "\(Int(used_percent.rounded()))% full (\(DiskSpace.size(free_bytes)) free)"
    }
}
