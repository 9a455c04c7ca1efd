import Foundation
import Logging
import PostgresNIO
import PostgresState
import TestSupport
import Testing

/// Two controllers on one real PostgreSQL: one leads, and when its session ends (a `kill -9`d
/// controller's connection dies with it), the other leads within a few seconds; the lease row
/// says who and since when.
@Suite(.serialized) struct ControllerLeadershipTests {
    @Test func oneOfTwoLeadsAndTheOtherTakesOverWhenItsSessionEnds() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let url = try DatabaseURL(server.url)
        let (a, b) = (ControllerLeadership(url: url, holder: "host-a:1"), ControllerLeadership(url: url, holder: "host-b:2"))
        try await Self.resigning(a, b) {
        let first = await a.attempt()
        let second = await b.attempt()
        #expect(first && !second, "the first to ask leads; the other stands by")
        let standing = (await b.attempt(), await a.attempt())
        #expect(standing == (false, true), "the lead stays where it is while its session lives")
        let before = try #require(try await ControllerLeadership.current(url))
        #expect(before.holder == "host-a:1")

        for round in 1...5 {
            let (leader, standby) = round % 2 == 1 ? (a, b) : (b, a)
            let killedAt = Date()
            try await Self.terminate(sessionOf: leader.holder, url)
            // the standby asks every second, as `run` does
            var tookOver: Double?
            for tick in 1...20 {
                try await Task.sleep(for: .milliseconds(500))
                if await standby.attempt() { tookOver = Double(tick) * 0.5; break }
            }
            let waited = try #require(tookOver, "round \(round): the standby never took the lead")
            #expect(waited <= 10, "round \(round): took over in \(waited) s")
            #expect(await leader.attempt() == false, "round \(round): the old leader, with a new session, stands by")
            let now = try #require(try await ControllerLeadership.current(url))
            #expect(now.holder == standby.holder && now.since >= killedAt.addingTimeInterval(-1), "round \(round): \(now)")
            print("leadership round \(round): \(standby.holder) leads \(waited) s after \(leader.holder)'s session was ended")
        }
        }
    }

    @Test func aLeaderThatResignsHandsOverAtTheNextLook() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let url = try DatabaseURL(server.url)
        let (a, b) = (ControllerLeadership(url: url, holder: "a:1"), ControllerLeadership(url: url, holder: "b:2"))
        try await Self.resigning(a, b) {
            #expect(await a.attempt())
            #expect(await b.attempt() == false)
            await a.resign()
            #expect(await b.attempt(), "a clean shutdown lets go at once")
            let leader = try await ControllerLeadership.current(url)
            #expect(leader?.holder == "b:2")
        }
    }

    @Test func withNoDatabaseNobodyLeads() async throws {
        let port = try FreePort.find()  // nothing listens there
        let lonely = ControllerLeadership(url: try DatabaseURL("postgres://recipe@127.0.0.1:\(port)/recipe"), holder: "alone:1")
        #expect(await lonely.attempt() == false, "a controller that cannot reach the database never believes it leads")
        await lonely.resign()
    }

    /// Runs `body`, then resigns both, whatever happened: PostgresNIO wants every session closed.
    static func resigning(_ a: ControllerLeadership, _ b: ControllerLeadership, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await a.resign()
            await b.resign()
            throw error
        }
        await a.resign()
        await b.resign()
    }

    /// Ends a controller's leadership session from outside, as its death would.
    static func terminate(sessionOf holder: String, _ url: DatabaseURL) async throws {
        let logger = Logger(label: "test")
        let admin = try await PostgresConnection.connect(configuration: url.configuration(application: "test"), id: 9, logger: logger)
        try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \("recipe-leader \(holder)")", logger: logger)
        try await admin.close()
    }
}
