import Foundation
import GRDB

/// The state of every cluster this home manages: SQLite in WAL mode at `HOME/state.db`.
///
/// Many processes share it (the CLI, every agent, the scheduler), so nothing here assumes it
/// owns the database: writes are short transactions and readers never block writers.
public final class Store: Sendable {
    public let home: URL
    let db: any DatabaseWriter

    /// Opens (and migrates) the state under `home`. `light` opens a single connection, for agents.
    public init(home: URL, light: Bool = false) throws {
        self.home = home
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(30)
        // WAL with synchronous=NORMAL: a commit survives any process crash (kill -9 included) and
        // never corrupts; only a power loss may drop the last commits. FULL costs an fsync per
        // commit, which caps the scheduler at about a hundred hook runs a second.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let path = home.appendingPathComponent("state.db").path
        if light {
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -256") }
            db = try DatabaseQueue(path: path, configuration: config)
        } else {
            db = try DatabasePool(path: path, configuration: config)
        }
        try Self.migrator.migrate(db)
    }

    /// `--home`, else `$RECIPE_HOME`, else `~/.recipe`.
    public static func home(explicit: String?) -> URL {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit).standardizedFileURL }
        if let env = ProcessInfo.processInfo.environment["RECIPE_HOME"], !env.isEmpty {
            return URL(fileURLWithPath: env).standardizedFileURL
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".recipe")
    }

    /// The next value of a named counter. A new counter starts at a random point, so that two
    /// homes on one machine (two users, parallel tests) do not hand out the same loopback addresses.
    func next(_ counter: String, in db: Database) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO counters(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + 1",
            arguments: [counter, Int64.random(in: 0..<(1 << 19))])
        return try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = ?", arguments: [counter]) ?? 1
    }

    /// The n-th address of a /12 loopback block such as 127.96: never a .0 or .255 host.
    static func address(_ prefix: Int, _ n: Int64) -> String {
        let hosts: Int64 = 254 * 256 * 16
        let i = n % hosts
        return "127.\(prefix + Int(i / (254 * 256))).\(i / 254 % 256).\(i % 254 + 1)"
    }
}
