import Cloud
import Foundation
import GRDB

/// The state file itself: refusing one that is not ours, copies (`recipe state backup`, and one
/// before every migration), putting one back, and checking its integrity.
extension Store {
    /// What `HOME/state.db` holds when it is not a state: an empty file (a 0-byte state.db is
    /// not taken as a new home), or a file that is not SQLite.
    static func refuseForeign(at path: String) throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        if size == 0 { throw CloudError(unreadable(path, reason: "it is empty (0 bytes)")) }
        guard let header = header(of: path) else { throw CloudError(unreadable(path, reason: "it cannot be read")) }
        if header != Data("SQLite format 3\0".utf8) { throw CloudError(unreadable(path, reason: "it is not an SQLite database")) }
    }

    /// The file's descriptors for `header`, opened once per path and never closed: closing any
    /// descriptor of a file drops every POSIX lock this process holds on it, SQLite's included, so
    /// a second Store opened beside a first (serve's write probe) corrupted the state.
    private static let headerFiles = Locked<[String: Int32]>([:])

    /// The first 16 bytes of the file, read with pread on a descriptor that stays open.
    static func header(of path: String) -> Data? {
        headerFiles.withLock { files -> Data? in
            // a file put in its place (state restore) is another inode: a descriptor of its own
            var now = stat(), held = stat()
            if let descriptor = files[path], stat(path, &now) == 0, fstat(descriptor, &held) == 0, now.st_ino != held.st_ino {
                files[path] = nil
            }
            if files[path] == nil {
                let descriptor = open(path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { return nil }
                files[path] = descriptor
            }
            var bytes = [UInt8](repeating: 0, count: 16)
            let count = pread(files[path]!, &bytes, 16, 0)
            return count < 0 ? nil : Data(bytes.prefix(count))
        }
    }

    /// The refusal, with what to do about it.
    static func unreadable(_ path: String, reason: String) -> String {
        "\(path) is not a state this tool can read: \(reason). `recipe state check` tells more; "
            + "`recipe state restore FILE` puts a copy back (copies are in \(URL(fileURLWithPath: path).deletingLastPathComponent().path)/backups); "
            + "`recipe agents stop` stops this home's agents and services without it"
    }

    public static func backups(home: URL) -> URL { home.appendingPathComponent("backups") }

    /// `HOME/backups/state-2026-12-01T121351Z-REASON.db`.
    static func copyName(home: URL, reason: String) -> URL {
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return backups(home: home).appendingPathComponent("state-\(stamp)-\(reason).db")
    }

    /// A consistent copy of the state (SQLite's online backup), in HOME/backups unless `to` names a file.
    @discardableResult
    public func backup(to file: URL? = nil) throws -> URL {
        try Self.backup(db, home: home, reason: "backup", to: file)
    }

    /// Refused before it writes when the copy's disk has less room than the state takes; a copy
    /// that fails midway is removed, and one already at `file` is replaced only by a whole copy.
    static func backup(_ db: any DatabaseWriter, home: URL, reason: String, to file: URL? = nil) throws -> URL {
        let target = file ?? copyName(home: home, reason: reason)
        let folder = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let state = home.appendingPathComponent("state.db").path
        let needed = ["", "-wal"].reduce(Int64(0)) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: state + suffix)[.size] as? Int64) ?? 0)
        }
        if let disk = DiskSpace.of(folder.path), disk.freeBytes < needed {
            throw CloudError("a copy of the state needs up to \(DiskSpace.size(needed)) and \(folder.path) has \(DiskSpace.size(disk.freeBytes)) free; nothing was written")
        }
        let partial = folder.appendingPathComponent(".\(target.lastPathComponent).partial")
        try? FileManager.default.removeItem(at: partial)
        do {
            let copy = try DatabaseQueue(path: partial.path)
            try db.backup(to: copy)
            try copy.close()
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partial.path + suffix) }
            guard rename(partial.path, target.path) == 0 else { throw CloudError(String(cString: strerror(errno))) }
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partial.path + suffix) }
            throw CloudError("the copy of the state to \(target.path) failed and was removed: \(Store.reason(error))")
        }
        return target
    }

    /// What SQLite's integrity check finds in the state file: empty when it is sound.
    public static func check(home: URL) throws -> [String] {
        let path = home.appendingPathComponent("state.db").path
        try refuseForeign(at: path)
        var config = Configuration()
        config.readonly = true
        do {
            let db = try DatabaseQueue(path: path, configuration: config)
            let rows = try db.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
            return rows == ["ok"] ? [] : rows
        } catch let error as DatabaseError {
            return [error.message ?? "\(error.resultCode)"]
        }
    }

    /// Puts a copy back as the state: it is checked first, and the state it replaces is kept beside it.
    public static func restore(home: URL, from file: URL) throws -> URL? {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-restore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        try FileManager.default.copyItem(at: file, to: probe.appendingPathComponent("state.db"))
        let problems = try check(home: probe)
        guard problems.isEmpty else { throw CloudError("\(file.path) is damaged too: \(problems.prefix(3).joined(separator: "; "))") }
        let state = home.appendingPathComponent("state.db")
        var kept: URL?
        if FileManager.default.fileExists(atPath: state.path) {
            kept = copyName(home: home, reason: "replaced")
            try FileManager.default.createDirectory(at: backups(home: home), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: state, to: kept!)
            for suffix in ["-wal", "-shm"] { try? FileManager.default.moveItem(atPath: state.path + suffix, toPath: kept!.path + suffix) }
        }
        try FileManager.default.copyItem(at: file, to: state)
        return kept
    }
}
