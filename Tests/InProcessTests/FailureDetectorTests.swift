import Cloud
import Engine
import Foundation
@testable import Scheduler
import Store
import Testing

/// Failures seen the way the memory provider shows them (heartbeats and polling), reported once.
@Suite struct FailureDetectorTests {
    /// A converged web layer of two that heals after 5 s, watched.
    func watched(_ f: Fixture) async throws -> (FailureDetector, [Instance]) {
        var web = LayerSpec(name: "web", count: 2)
        web.healAfter = 5
        let spec = memorySpec(layers: [web])
        _ = try await f.engine.converge(spec)
        let detector = FailureDetector(engine: f.engine)
        await detector.watch([spec])
        return (detector, try await f.instances())
    }

    func failures(_ f: Fixture) throws -> [Event] { try f.events("instance.failed") }

    @Test func aLostInstanceIsReportedOnce() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (detector, instances) = try await watched(f)
        await detector.checkHeartbeats(now: f.now)
        #expect(try failures(f).isEmpty, "healthy instances are no failure")
        f.memory.lose(instances[0].id)
        await detector.checkHeartbeats(now: f.now)
        await detector.checkHeartbeats(now: f.now + 1)
        let events = try failures(f)
        #expect(events.map(\.subject) == ["web-1"])
        #expect(events.first?.detail == "\(instances[0].id): its agent is gone")
        #expect(events.first?.actor == "scheduler")
    }

    @Test func anInstanceSilentPastItsLayersLimitIsReported() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (detector, _) = try await watched(f)
        await detector.checkHeartbeats(now: f.now + 4)
        #expect(try failures(f).isEmpty, "4 s of silence is within heal.after = 5")
        await detector.checkHeartbeats(now: f.now + 6)
        #expect(try failures(f).compactMap(\.subject).sorted() == ["web-1", "web-2"])
        #expect(try failures(f).first?.detail?.hasSuffix("no heartbeat for 6 s") == true)
    }

    @Test func anImpairedInstanceIsReportedOnceByPolling() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (detector, instances) = try await watched(f)
        f.memory.impair(instances[1].id, reason: "reachability check failed")
        await detector.poll(now: f.now)
        await detector.poll(now: f.now + 5)
        let events = try failures(f)
        #expect(events.map(\.subject) == ["web-2"])
        #expect(events.first?.detail == "\(instances[1].id): reachability check failed")
    }

    @Test func anInstanceTerminatedBehindTheBackIsReportedAtTheNextPoll() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (detector, instances) = try await watched(f)
        await detector.poll(now: f.now)
        f.memory.setStateBehindTheBack(instances[0].id, .terminated)
        await detector.poll(now: f.now + 1)
        #expect(try failures(f).isEmpty, "not polled again before heal.after")
        await detector.poll(now: f.now + 5)
        #expect(try failures(f).map(\.detail) == ["\(instances[0].id): terminated outside recipe"])
    }
}
