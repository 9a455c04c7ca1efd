import Foundation
import PostgresState
import Store
import TestSupport

/// Runs a test of the Store's seam on each engine: a home's SQLite file, then a real PostgreSQL
/// (one server per test, stopped by its PID when the test ends). `body` gets a fresh state each time.
enum BothEngines {
    static func run(_ body: (StateEngine, Store) throws -> Void) throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-seam-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        try body(.sqlite, try Store(home: home.appendingPathComponent("sqlite")))
        let server = try PostgresServer()
        defer { server.stop() }
        let database = try PostgresStateDatabase(url: try DatabaseURL(server.url))
        defer { database.close() }
        try body(.postgres, try Store(home: home.appendingPathComponent("postgres"), shared: database))
    }

    /// A PostgreSQL of the test's own, and `count` states on it, as that many controllers have.
    static func shared(_ count: Int, _ body: (PostgresServer, [Store]) throws -> Void) throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-seam-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try PostgresServer()
        defer { server.stop() }
        let databases = try (0..<count).map { _ in try PostgresStateDatabase(url: try DatabaseURL(server.url)) }
        defer { databases.forEach { $0.close() } }
        let stores = try databases.enumerated().map { index, database in
            try Store(home: home.appendingPathComponent("controller-\(index)"), shared: database)
        }
        try body(server, stores)
    }
}
