import Cloud
@testable import Controller
import Engine
import Foundation
import Testing

/// Fifty clients polling one cluster cost one status a second, and an event makes the next one fresh.
@Suite struct StatusCacheTests {
    @Test func oneComputationServesEveryRequestUntilAnEventOrASecond() async throws {
        let cache = StatusCache()
        let computed = Locked(0)
        let compute: @Sendable () async throws -> [ClusterStatus] = {
            computed.withLock { $0 += 1 }
            try await Task.sleep(nanoseconds: 20_000_000)
            return []
        }
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { _ = try await cache.status(of: "shop", lastEvent: 7, now: start, compute: compute) } }
            try await group.waitForAll()
        }
        #expect(computed.value == 1, "fifty requests at once, one status")
        _ = try await cache.status(of: "shop", lastEvent: 8, now: start, compute: compute)
        #expect(computed.value == 2, "an event since: computed again")
        _ = try await cache.status(of: "shop", lastEvent: 8, now: start.addingTimeInterval(0.9), compute: compute)
        #expect(computed.value == 2)
        _ = try await cache.status(of: "shop", lastEvent: 8, now: start.addingTimeInterval(1.0), compute: compute)
        #expect(computed.value == 3, "a second old: computed again")
        _ = try await cache.status(of: "other", lastEvent: 8, now: start.addingTimeInterval(1.0), compute: compute)
        #expect(computed.value == 4, "each cluster its own")
    }
}
