import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Store

/// The state's SQL on a PostgreSQL several controllers share. The Store's calls are synchronous
/// (as on SQLite), so each one takes a connection from a small pool and blocks on PostgresNIO's
/// future; the connections run on an event loop of their own, so a caller on any other thread
/// (an HTTP handler's loop included) may wait on them. `Benchmarks/PostgresBench` measured what
/// that costs beside async/await: nothing that matters (205 µs against 218 µs a round trip).
///
/// A `write` is `BEGIN … COMMIT` on one connection; a `read` runs its statements outside a
/// transaction, each on the committed state of its moment (the reads on the seam are one
/// statement, or read append-only rows). A connection that broke is dropped and the next call
/// opens a new one, so a restarted server costs the calls made while it was down, no more.
public final class PostgresStateDatabase: StateDatabase, @unchecked Sendable {
    public var engine: StateEngine { .postgres }
    public let url: DatabaseURL
    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    let size: Int
    // the pool: idle connections and how many are open; guarded by `available`
    private let available = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var closed = false
    private var nextID = 0

    /// Opens the pool and brings the schema up to date (`PostgresSchema`), under an advisory
    /// lock, so controllers that start together migrate once.
    public init(url: DatabaseURL, connections: Int = 4, logger: Logger = Logger(label: "recipe.state")) throws {
        (self.url, self.size, self.logger) = (url, max(1, connections), logger)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try write { sql in try PostgresSchema.migrate(sql) }
        } catch {
            close()
            throw error
        }
    }

    deinit { if !closed { try? group.syncShutdownGracefully() } }

    /// Closes every connection and the event loop; a call after this fails.
    public func close() {
        available.lock()
        let connections = idle
        idle = []
        closed = true
        available.unlock()
        for connection in connections { try? connection.close().wait() }
        try? group.syncShutdownGracefully()
    }

    public func read<T>(_ body: (any StateSQL) throws -> T) throws -> T {
        // a read changes nothing, so one that met a connection that had died idle runs again
        try withConnection(retry: true) { connection in
            let statements = PostgresStatements(connection: connection, logger: logger)
            do {
                let result = try body(statements)
                try statements.drain()
                return result
            } catch {
                try? statements.drain()
                throw error
            }
        }
    }

    public func write<T>(_ body: (any StateSQL) throws -> T) throws -> T {
        try withConnection(retry: false) { connection in
            let statements = PostgresStatements(connection: connection, logger: logger)
            statements.begin()
            do {
                let result = try body(statements)
                try statements.run("COMMIT")
                return result
            } catch {
                try? statements.run("ROLLBACK")
                throw error
            }
        }
    }

    /// One statement, so one round trip (`PostgresStatements.append`), in a transaction of its own.
    public func append(to table: String, columns: [String], values: [SQLValue]) throws -> Int64 {
        // again only when it certainly took no effect: one that died on the way may have committed
        try withConnection(retry: false) { connection in
            try PostgresStatements(connection: connection, logger: logger).append(to: table, columns: columns, values: values)
        }
    }

    /// Runs `body` on a pooled connection. When it fails because that connection was closed (the
    /// server restarted, its backend was killed), it runs again on another (the pool may hold
    /// several that died idle) if nothing of the call took effect, or `retry` (a read).
    private func withConnection<T>(retry: Bool, _ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try checkOut()
            do {
                let result = try body(connection)
                checkIn(connection)
                return result
            } catch {
                let failure = error as? StateDatabaseError
                let lost = connection.isClosed || failure?.connectionLost == true
                // the server ended the session, but the connection may not know yet: never back to the pool
                if lost, !connection.isClosed { try? connection.close().wait() }
                checkIn(connection, dropped: lost)
                guard lost, attempt <= size, failure?.tookNoEffect == true || retry else { throw error }
                logger.debug("state: a connection had closed; again on a new one")
            }
        }
    }

    private func checkOut() throws -> PostgresConnection {
        available.lock()
        while !closed, idle.isEmpty, open >= size { available.wait() }
        if closed {
            available.unlock()
            throw StateDatabaseError("the state's database \(url) is closed")
        }
        if let connection = idle.popLast() {
            available.unlock()
            if !connection.isClosed { return connection }
            available.lock()
            open -= 1
            available.unlock()
            return try checkOut()
        }
        open += 1
        nextID += 1
        let id = nextID
        available.unlock()
        do {
            return try PostgresConnection.connect(on: group.next(), configuration: url.configuration(application: "recipe"),
                                                  id: id, logger: logger).wait()
        } catch {
            available.lock()
            open -= 1
            available.signal()
            available.unlock()
            throw StateDatabaseError("cannot reach the state's database \(url): \(PostgresStatements.describe(error))")
        }
    }

    /// Back to the pool, or dropped when it broke (a server restart, a killed backend).
    private func checkIn(_ connection: PostgresConnection, dropped: Bool = false) {
        available.lock()
        if dropped || connection.isClosed || closed {
            open -= 1
        } else {
            idle.append(connection)
        }
        available.signal()
        available.unlock()
        if closed, !connection.isClosed { try? connection.close().wait() }
    }
}

public struct StateDatabaseError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Nothing of the call took effect (`PostgresStatements.tookNoEffect`): safe to run again.
    let tookNoEffect: Bool
    /// The connection it ran on is gone (`PostgresStatements.connectionLost`).
    let connectionLost: Bool
    init(_ description: String, tookNoEffect: Bool = false, connectionLost: Bool = false) {
        (self.description, self.tookNoEffect, self.connectionLost) = (description, tookNoEffect, connectionLost)
    }
}
