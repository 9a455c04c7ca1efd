import Foundation
import PostgresState
import Store
import TestSupport

/// The state a Store test runs on: the home's SQLite file, or with `RECIPE_TEST_ENGINE=postgres`
/// a database of its own (one per home) on a PostgreSQL this test process starts on loopback and
/// stops by its PID when it exits. `make test` runs the suite both ways, so the Store's tests
/// hold on both engines; a test of SQLite's own ways (its file, WAL, locks) opens `Store(home:)`.
enum TestState {
    static var engine: StateEngine { ProcessInfo.processInfo.environment["RECIPE_TEST_ENGINE"] == "postgres" ? .postgres : .sqlite }

    static func store(_ home: URL) throws -> Store {
        guard engine == .postgres else { return try Store(home: home) }
        return try Store(home: home, shared: try Shared.instance.database(for: home))
    }

    /// The server and a database per home, opened once: a test that opens its home again sees its state.
    final class Shared: @unchecked Sendable {
        static let instance = Shared()
        private let lock = NSLock()
        private var server: PostgresServer?
        private var admin: PostgresStateDatabase?
        private var databases: [URL: PostgresStateDatabase] = [:]
        private var created = 0

        func database(for home: URL) throws -> PostgresStateDatabase {
            lock.lock()
            defer { lock.unlock() }
            if let open = databases[home] { return open }
            if server == nil {
                server = try PostgresServer()
                atexit { TestState.Shared.instance.stop() }
            }
            let server = server!
            if admin == nil { admin = try PostgresStateDatabase(url: try DatabaseURL(server.url), connections: 1) }
            created += 1
            let name = "store_\(created)"
            try admin!.read { sql in try sql.execute("CREATE DATABASE \(name)") }
            let database = try PostgresStateDatabase(url: try DatabaseURL("postgres://recipe@127.0.0.1:\(server.port)/\(name)"), connections: 2)
            databases[home] = database
            return database
        }

        func stop() {
            lock.lock()
            defer { lock.unlock() }
            databases.values.forEach { $0.close() }
            admin?.close()
            server?.stop()
            (databases, admin, server) = ([:], nil, nil)
        }
    }
}
