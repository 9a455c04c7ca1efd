import Cloud
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The state of every cluster this home manages: SQLite in WAL mode at `HOME/state.db`, or a
/// PostgreSQL several controllers share (`init(home:shared:)`).
///
/// Many processes share it (the CLI, every agent, the scheduler), so nothing here assumes it
/// owns the database: writes are short transactions and readers never block writers.
public final class Store: Sendable {
    public let home: URL
    let db: any DatabaseWriter
    /// Where the tables on the engine-neutral seam live (`StateDatabase`): the event log and the
    /// scheduler's runs and cursor so far. The same SQLite file as `db`, or PostgreSQL.
    public let state: any StateDatabase
    /// Cleans what is written of secrets: events, hook-run errors, command output.
    public let redactor: Redactor

    /// The database itself, for the tables a provider owns (the local provider's inventory).
    public var database: any DatabaseWriter { db }

    /// WAL pages past which a commit checkpoints the WAL itself (SQLite's default is 1,000). Under
    /// `recipe serve`, which checkpoints every half second on a thread of its own, no writer gets
    /// there; at 1,000 an event writer (an agent, the CLI) checkpointed inside its commit several
    /// times a second at a few thousand events a second, and its fsyncs stalled the scheduler's
    /// writes for 20-30 ms: most of the p99 of event -> hook start. Without serve, a home's WAL
    /// grows to about 40 MB before a writer folds it back.
    public static let checkpointPages = 10_000

    /// Opens (and migrates) the state under `home`. `light` opens a single connection, for agents.
    /// `lockWait` is how long a statement waits for another connection's write lock before it
    /// fails as busy: an agent waits less than the default 30 s, so a held lock never stalls the
    /// loop that supervises its services (it retries the write later instead).
    public init(home: URL, light: Bool = false, lockWait: Double = 30) throws {
        self.home = home
        let redactor = Redactor(home: home)
        self.redactor = redactor
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .callback(Self.waitForLock(upTo: lockWait))
        // WAL with synchronous=NORMAL: a commit survives any process crash (kill -9 included) and
        // never corrupts; only a power loss may drop the last commits. FULL costs an fsync per
        // commit, which caps the scheduler at about a hundred hook runs a second.
        // no memory map: a truncated or damaged file is then an error to report, never a SIGBUS
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 0; PRAGMA wal_autocheckpoint = \(Self.checkpointPages)")
        }
        let path = home.appendingPathComponent("state.db").path
        // held while the file is checked, opened and migrated: a first command that is creating it
        // is never seen half done (an empty file) by another
        // two first commands on a new home would otherwise both see no schema and both create it
        // (`table counters already exists`)
        let lock = try FileLock.exclusive(home.appendingPathComponent("state.lock").path)
        defer { FileLock.release(lock) }
        try Self.refuseForeign(at: path)
        do {
            if light {
                config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -256") }
                db = try DatabaseQueue(path: path, configuration: config)
            } else {
                db = try Self.pool(path, config)
            }
            try Self.migrate(db, home: home)
            state = SQLiteStateDatabase(writer: db)
        } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_FULL {
            let disk = DiskSpace.of(home.path).map { " (\($0.summary))" } ?? ""
            throw CloudError("cannot open \(path): its disk is full\(disk); free some space on it. "
                + "Running agents keep their services up and report once there is room")
        } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_NOTADB {
            throw CloudError(Self.unreadable(path, reason: "it is not an SQLite database"))
        } catch let error as DatabaseError {
            throw CloudError(Self.unreadable(path, reason: error.message ?? "\(error.resultCode)"))
        }
        // the process's home: what its terminal output and errors are cleaned with
        Redactor.shared.withLock { $0 = redactor }
    }

    /// A state on a shared database (PostgreSQL, migrated by its opener), with `home` for what
    /// stays on this machine: the secrets and their key, logs and files. Every table is on the
    /// seam; `db` is then an empty in-memory database, so anything that still reached for
    /// SQLite (a backup, a check) fails with `no such table` instead of writing on the side.
    public init(home: URL, shared database: any StateDatabase) throws {
        self.home = home
        let redactor = Redactor(home: home)
        self.redactor = redactor
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        db = try DatabaseQueue()
        state = database
        Redactor.shared.withLock { $0 = redactor }
    }

    /// A pool of connections; on a full disk, where a pool cannot open (it writes to make its WAL
    /// exist when the WAL is empty), one connection, which still reads: `recipe status` says how
    /// things are, and a write fails saying the disk is full.
    private static func pool(_ path: String, _ config: Configuration) throws -> any DatabaseWriter {
        do {
            return try DatabasePool(path: path, configuration: config)
        } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_FULL {
            return try DatabaseQueue(path: path, configuration: config)
        }
    }

    /// Migrates the schema, a copy of an existing state first (under the state lock).
    private static func migrate(_ db: any DatabaseWriter, home: URL) throws {
        let applied = try db.read { try migrator.appliedIdentifiers($0) }
        if !applied.isEmpty, try !db.read({ try migrator.hasCompletedMigrations($0) }) {
            // an existing state about to change shape: a copy first, that `recipe state restore` takes
            _ = try backup(db, home: home, reason: "before-migration")
        }
        try migrator.migrate(db)
    }

    /// Waits for another connection's write lock, for up to about 30 s. SQLite's own busy timeout
    /// sleeps 1, 2, 5, 10, 15, 20, 25 ms... between tries, so a writer that met a lock held for
    /// 50 µs (the CLI or an agent appending an event) slept a millisecond, and one held a few ms
    /// cost tens: the scheduler's stalls at a few thousand events a second. Try every 100 µs for
    /// the first 2 ms, then every 2 ms, until `seconds` have passed.
    static func waitForLock(upTo seconds: Double) -> Database.BusyCallback {
        let limit = 20 + Int(max(0, seconds - 0.002) / 0.002)
        return { tries in
            usleep(tries < 20 ? 100 : 2_000)
            return tries < limit
        }
    }

    /// `--home`, else `$RECIPE_HOME`, else `~/.recipe`.
    public static func home(explicit: String?) -> URL {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit).standardizedFileURL }
        if let env = ProcessInfo.processInfo.environment["RECIPE_HOME"], !env.isEmpty {
            return URL(fileURLWithPath: env).standardizedFileURL
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".recipe")
    }
}

extension Store {
    /// Why a state read or write failed, in a few words and without the SQL: `database or disk is
    /// full (SQLite 13)`. For the logs of processes that keep going when the state fails them.
    public static func reason(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        return "\(error.message ?? "error") (SQLite \(error.resultCode.rawValue))"
    }

    /// Whether the state takes a write now: the write lock within this connection's lock wait (open
    /// it with a short one), taken and let go at once, nothing written. False while another process
    /// holds the lock, or the file is read-only or damaged.
    public func takesWrites() -> Bool {
        (try? db.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE; ROLLBACK") }) != nil
    }

    /// Whether a write failed for what it holds (a constraint or type error, or an error that
    /// never reached SQLite), so trying it again cannot help. A full, read-only, locked, busy,
    /// damaged or missing file is not a refusal: the same write may pass later.
    public static func isRefusal(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return true }
        return [ResultCode.SQLITE_CONSTRAINT, .SQLITE_MISMATCH, .SQLITE_RANGE, .SQLITE_TOOBIG].contains(error.resultCode.primaryResultCode)
    }
}
