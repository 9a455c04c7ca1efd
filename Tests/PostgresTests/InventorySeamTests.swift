import Foundation
import Synchronization
import Store
import Testing

/// Clusters, their locks and the controllers' records on the seam, on both engines: what `recipe
/// run`, the safety issue's locks and `recipe status --controllers` read and write.
@Suite(.serialized) struct InventorySeamTests {
    @Test func aClusterIsDeclaredAgainKeepingWhenItWasFirst() throws {
        try BothEngines.run { engine, store in
            let first = Date(timeIntervalSince1970: 1_700_000_000)
            try store.saveCluster(ClusterRecord(name: "shop", provider: "local", recipePath: "/r/shop.lua", recipeHash: "abc", spec: "{}", createdAt: first),
                                  layers: [LayerRecord(cluster: "shop", name: "web", count: 3, spec: "{}"), LayerRecord(cluster: "shop", name: "db", count: 1, spec: "{}")])
            try store.saveCluster(ClusterRecord(name: "shop", provider: "local", recipePath: "/r/shop.lua", recipeHash: "def",
                                                recipeArguments: #"{"size":"2"}"#, spec: #"{"v":2}"#),
                                  layers: [LayerRecord(cluster: "shop", name: "web", count: 2, spec: "{}")])
            let shop = try #require(try store.cluster("shop"))
            #expect(shop.recipeHash == "def" && shop.arguments == ["size": "2"] && shop.createdAt == first, "\(engine)")
            #expect(try store.layers(cluster: "shop").map { "\($0.name)=\($0.count)" } == ["web=2"], "\(engine): the layers as last declared")
            try store.saveCluster(ClusterRecord(name: "blog", provider: "memory", recipePath: nil, recipeHash: nil, spec: "{}"), layers: [])
            #expect(try store.clusters().map(\.name) == ["blog", "shop"], "\(engine)")
            try store.deleteCluster("shop")
            #expect(try store.cluster("shop") == nil && store.layers(cluster: "shop").isEmpty, "\(engine)")
        }
    }

    @Test func aClusterLockIsHeldByOneAndBrokenOnlyWhenItsHolderIsDead() throws {
        try BothEngines.run { engine, store in
            let mine = ClusterLock(cluster: "shop", pid: 100, host: "a", started: 1, command: "recipe run shop.lua")
            let theirs = ClusterLock(cluster: "shop", pid: 200, host: "b", started: 2, command: "recipe deploy shop app")
            #expect(try store.acquireLock(mine, isDead: { _ in false }) == (nil, nil), "\(engine): a free lock is taken")
            let held = try store.acquireLock(theirs, isDead: { _ in false })
            #expect(held.held?.pid == 100 && held.broken == nil, "\(engine): a live holder keeps it")
            let broken = try store.acquireLock(theirs, isDead: { $0.pid == 100 })
            #expect(broken.held == nil && broken.broken?.command == "recipe run shop.lua", "\(engine): a dead holder loses it")
            #expect(try store.locks().map(\.pid) == [200], "\(engine)")
            try store.releaseLock(cluster: "shop", pid: 100, host: "a")
            #expect(try store.locks().count == 1, "\(engine): only its holder lets go")
            try store.releaseLock(cluster: "shop", pid: 200, host: "b")
            #expect(try store.locks().isEmpty, "\(engine)")
        }
    }

    /// Several controllers take one cluster's lock at the same moment: one gets it, and each of
    /// the others is told who holds it (none fails, none takes it too).
    @Test func controllersRacingForOneLockGetItOnce() throws {
        try BothEngines.shared(3) { _, stores in
            let outcomes = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 12) { n in
                let lock = ClusterLock(cluster: "shop", pid: Int32(1000 + n), host: "h\(n)", started: Int64(n), command: "recipe run")
                let said: String
                do {
                    let (held, _) = try stores[n % stores.count].acquireLock(lock, isDead: { _ in false })
                    said = held == nil ? "took" : "held by \(held!.pid)"
                } catch {
                    said = "failed: \(error)"
                }
                outcomes.withLock { $0.append(said) }
            }
            let all = outcomes.withLock { $0 }
            #expect(all.filter { $0 == "took" }.count == 1, "\(all)")
            #expect(!all.contains { $0.hasPrefix("failed") }, "\(all)")
        }
    }

    @Test func controllersAreListedNewestFirstAndTheDeadDropped() throws {
        try BothEngines.run { engine, store in
            let older = ControllerRecord(url: "http://127.0.0.1:7070", agentSha256: "aa", startedAt: Date(timeIntervalSinceNow: -60))
            let newer = ControllerRecord(url: "https://127.0.0.1:7071", agentSha256: "bb", certificate: "PEM", pid: getpid(), host: "elsewhere",
                                         startedAt: Date())
            let dead = ControllerRecord(url: "http://127.0.0.1:7072", agentSha256: nil, pid: 0x7fff_fff0)
            for record in [older, newer, dead] { try store.recordController(record) }
            try store.recordController(older)  // a serve records itself again: one row still
            let listed = try store.controllers()
            #expect(listed.map(\.url) == ["https://127.0.0.1:7071", "http://127.0.0.1:7070"], "\(engine)")
            #expect(listed.first?.certificate == "PEM" && listed.first?.host == "elsewhere", "\(engine)")
            try store.removeController(older.id)
            #expect(try store.controllers().map(\.id) == [newer.id], "\(engine)")
        }
    }
}
