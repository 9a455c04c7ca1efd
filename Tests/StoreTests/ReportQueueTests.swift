@testable import Agent
import Cloud
import Foundation
import LocalCloud
import Store
import Testing

/// An agent's reports while the state refuses writes (issue 18, point 1): kept in order, the
/// newest pid of a service only, delivered once the state takes writes, bounded.
@Suite struct ReportQueueTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString.prefix(8))")

    /// A home with one instance, the agent's own connection to it, and a way to hold the write lock.
    func setUp() throws -> (cli: Store, queue: ReportQueue, id: String) {
        let cli = try Store(home: home)
        let instance = try LocalInventory(store: cli).insertInstance({
            Instance(id: "i-1", cluster: "c", layer: "web", name: "web-1", state: .running, privateIP: $0)
        }, addressBlock: 96)
        let agent = try Store(home: home, light: true, lockWait: 0.05)
        return (cli, ReportQueue(store: agent, instance: instance.id, cluster: "c", log: AgentLog(instance: instance.id, path: nil)), instance.id)
    }

    /// Holds the state's write lock from another connection for `seconds`.
    func holdLock(_ store: Store, for seconds: Double) {
        Thread.detachNewThread {
            try? store.database.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                Thread.sleep(forTimeInterval: seconds)
                try db.execute(sql: "COMMIT")
            }
        }
        Thread.sleep(forTimeInterval: 0.2)
    }

    @Test func reportsWaitWhileTheStateIsLockedAndArriveInOrderAfter() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let (cli, queue, id) = try setUp()
        holdLock(cli, for: 1.5)
        queue.send(.event(Event(actor: "agent:\(id)", cluster: "c", kind: "service.exited", subject: "web-1/app", result: "failed: killed")))
        queue.send(.process(service: "app", pid: 42))
        queue.send(.process(service: "app", pid: 43))
        #expect(queue.count == 2, "the event, and only the newer pid of the service")
        let delivered = Date()
        while queue.count > 0 && Date().timeIntervalSince(delivered) < 5 {
            queue.deliver()
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(queue.count == 0, "delivered once the lock is gone")
        #expect(try LocalInventory(store: cli).processes(instance: id) == [43])
        let kinds = try cli.events(cluster: "c").map(\.kind)
        #expect(kinds == ["service.exited", "agent.state_unwritable"], "in order, then the outage itself: \(kinds)")
    }

    @Test func atMostALimitWaitTheOldestHeartbeatsGoFirst() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let (cli, queue, id) = try setUp()
        holdLock(cli, for: 0.5)
        queue.send(.state(.running, pid: 7))
        let sample = ProcessSampler.Sample(cpuPercent: 1, memoryBytes: 2, memoryPercent: 3, load: 4)
        for n in 0..<(ReportQueue.limit + 50) { queue.send(.heartbeat(sample, pid: 7, at: Date(timeIntervalSince1970: Double(n)))) }
        #expect(queue.count == ReportQueue.limit, "bounded")
        let start = Date()
        while queue.count > 0 && Date().timeIntervalSince(start) < 10 {
            queue.deliver()
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(queue.count == 0)
        let agent = try #require(try LocalInventory(store: cli).agent(id))
        #expect(agent.pid == 7, "the state report, never dropped, came through")
        #expect(agent.lastHeartbeat == Date(timeIntervalSince1970: Double(ReportQueue.limit + 49)), "the newest heartbeat is the last one written")
    }
}
