import Foundation
import Logging
import PostgresNIO

/// Which of several `recipe serve`s on one PostgreSQL does the singular work (dispatching events
/// to hooks, timers, failure detection, alarms, autoscale, backups): the one whose own session
/// holds the advisory lock. No consensus code of ours: PostgreSQL grants the lock to one session
/// and releases it when that session ends (a killed controller, a lost connection), and the next
/// standby to ask gets it. The lease row says who leads and since when, for `recipe status`.
///
/// A leader learns it lost its session at its next renewal (at most `interval` later); until
/// then it may still believe it leads, so singular work must be safe to start twice within
/// that window (the hook-run rows make a dispatch idempotent).
public actor ControllerLeadership {
    public struct Leader: Sendable, Equatable {
        public var holder: String
        public var since: Date
        public var renewed: Date
    }

    /// The advisory lock's key: "recipe" and 1, so other tools on the database do not collide with it.
    public static let lockKey: Int64 = 0x7265_6369_7065_0001

    let url: DatabaseURL
    /// This controller, as the lease row and `pg_stat_activity` name it (`HOST:PID`).
    public nonisolated let holder: String
    let logger: Logger
    private var session: PostgresConnection?
    public private(set) var isLeader = false

    /// Call `resign()` (or let `run` end) before dropping it: its session is closed then.
    public init(url: DatabaseURL, holder: String, logger: Logger = Logger(label: "recipe.leadership")) {
        (self.url, self.holder, self.logger) = (url, holder, logger)
    }

    /// One look: the leader renews its lease; a standby takes the lock if it is free. A lost
    /// session is a lost lead, and the next look opens a new one. Answers whether this controller leads.
    @discardableResult
    public func attempt() async -> Bool {
        do {
            let session = try await openSession()
            if !isLeader {
                let rows = try await session.query("SELECT pg_try_advisory_lock(\(Self.lockKey))", logger: logger)
                var taken = false
                for try await granted in rows.decode(Bool.self) { taken = granted }
                guard taken else { return false }
            }
            try await renew(on: session, newly: !isLeader)
            isLeader = true
        } catch {
            // the session is gone or broken: whatever lock it held went with it
            logger.debug("leadership: \(error)")
            isLeader = false
            if let session { try? await session.close() }
            session = nil
        }
        return isLeader
    }

    /// Looks every `interval` until cancelled, telling `changed` each time the lead is won or lost.
    public func run(interval: Duration = .seconds(1), changed: @Sendable (Bool) async -> Void) async {
        var was = false
        while !Task.isCancelled {
            let now = await attempt()
            if now != was { await changed(now) }
            was = now
            try? await Task.sleep(for: interval)
        }
        await resign()
    }

    /// Lets go of the lock and the session (a clean shutdown: a standby takes over at its next look).
    public func resign() async {
        if let session {
            if isLeader { _ = try? await session.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger) }
            try? await session.close()
        }
        session = nil
        isLeader = false
    }

    /// Who leads now, as the lease row says, if a leader ever renewed it.
    public static func current(_ url: DatabaseURL, logger: Logger = Logger(label: "recipe.leadership")) async throws -> Leader? {
        let connection = try await PostgresConnection.connect(configuration: url.configuration(application: "recipe"), id: 0, logger: logger)
        do {
            try await createLeaseTable(connection, logger: logger)
            var leader: Leader?
            let rows = try await connection.query("SELECT holder, since, renewed FROM controller_leader WHERE id = 1", logger: logger)
            for try await (holder, since, renewed) in rows.decode((String, Date, Date).self) {
                leader = Leader(holder: holder, since: since, renewed: renewed)
            }
            try await connection.close()
            return leader
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func openSession() async throws -> PostgresConnection {
        if let session, !session.isClosed { return session }
        let opened = try await PostgresConnection.connect(configuration: url.configuration(application: "recipe-leader \(holder)"),
                                                          id: 1, logger: logger)
        do {
            try await Self.createLeaseTable(opened, logger: logger)
        } catch {
            try? await opened.close()
            throw error
        }
        session = opened
        isLeader = false
        return opened
    }

    /// The lease row: a new leader writes itself in from now; the same leader keeps its `since`.
    private func renew(on session: PostgresConnection, newly: Bool) async throws {
        try await session.query("""
            INSERT INTO controller_leader (id, holder, since, renewed) VALUES (1, \(holder), now(), now())
            ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, renewed = now(),
              since = CASE WHEN controller_leader.holder = EXCLUDED.holder AND NOT \(newly) THEN controller_leader.since ELSE now() END
            """, logger: logger)
    }

    static func createLeaseTable(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS controller_leader (
              id integer PRIMARY KEY CHECK (id = 1), holder text NOT NULL, since timestamptz NOT NULL, renewed timestamptz NOT NULL)
            """, logger: logger)
    }
}
