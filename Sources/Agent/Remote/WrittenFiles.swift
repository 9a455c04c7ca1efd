import Cloud
import Foundation
import LocalCloud

/// The files `write()` put on a machine of the hosts provider, kept in the agent's state
/// (`written`, a path a line) so a machine that leaves the cluster has them removed.
struct WrittenFiles {
    let state: URL

    var list: URL { state.appendingPathComponent("written") }

    /// Commands run on threads of their own: one addition at a time.
    private static let adding = Locked(())

    func add(_ path: String) {
        Self.adding.withLock { _ in append(path) }
    }

    private func append(_ path: String) {
        guard !paths.contains(path), !path.contains("\n") else { return }
        let line = Data((path + "\n").utf8)
        if let handle = try? FileHandle(forWritingTo: list) {
            handle.seekToEndOfFile()
            handle.write(line)
            try? handle.close()
        } else {
            try? line.write(to: list)
        }
    }

    var paths: [String] {
        ((try? String(contentsOf: list, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Removes each (resolved inside the root, as it was written); in a machine's folder the
    /// folders left empty go too. How many files went.
    func removeAll(root: URL) -> Int {
        var removed = 0
        for path in paths {
            guard let url = try? MachinePath.resolve(path, root: root, followLast: false) else { continue }
            guard (try? FileManager.default.removeItem(at: url)) != nil else { continue }
            removed += 1
            guard root.path != "/" else { continue }
            var folder = url.deletingLastPathComponent()
            while folder.path.count > root.path.count, rmdir(folder.path) == 0 { folder = folder.deletingLastPathComponent() }
        }
        try? FileManager.default.removeItem(at: list)
        return removed
    }
}
