import Cloud
import Engine
import Foundation
import Store
import Testing

/// What autoscale decides lands through Engine.scale: "+N", "-N" or a count, never below zero.
@Suite struct ScaleTests {
    func cluster(_ f: Fixture, web: Int = 2) async throws {
        _ = try await f.engine.converge(memorySpec(layers: [LayerSpec(name: "web", count: web)]))
    }

    func names(_ f: Fixture) async throws -> [String] { try await f.instances().map(\.name).sorted() }

    @Test func plusOneAddsTheNextSlotAndRecordsTheNewCount() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await cluster(f)
        let hooks = RecordingHooks()
        let report = try await f.engine.scale("shop", layer: "web", to: "+1", hooks: hooks)
        #expect(report.online == ["web-3"])
        #expect(try await names(f) == ["web-1", "web-2", "web-3"])
        #expect(try f.store.layers(cluster: "shop").first?.count == 3)
        #expect(hooks.count("configure ") == 3, "everyone learns of the newcomer")
    }

    @Test func minusOneRemovesTheHighestSlotThroughItsShutdownHook() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await cluster(f, web: 3)
        let hooks = RecordingHooks()
        let report = try await f.engine.scale("shop", layer: "web", to: "-1", hooks: hooks)
        #expect(report.terminated == ["web-3"])
        #expect(hooks.index("shutdown web-3") != nil)
        #expect(try await names(f) == ["web-1", "web-2"])
    }

    @Test func anAbsoluteCountIsSetAsGiven() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await cluster(f)
        _ = try await f.engine.scale("shop", layer: "web", to: "5", hooks: nil)
        #expect(try await f.instances().count == 5)
    }

    @Test func scalingNeverGoesBelowZero() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await cluster(f)
        _ = try await f.engine.scale("shop", layer: "web", to: "-5", hooks: nil)
        #expect(try await f.instances().isEmpty)
        #expect(try f.store.layers(cluster: "shop").first?.count == 0)
        let again = try await f.engine.scale("shop", layer: "web", to: "-1", hooks: nil)
        #expect(!again.changed)
    }

    @Test(arguments: ["two", "+x", ""])
    func aCountThatIsNotOneIsRefused(_ count: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await cluster(f)
        let error = await #expect(throws: CloudError.self) { try await f.engine.scale("shop", layer: "web", to: count, hooks: nil) }
        #expect(error?.message == "scale shop/web: '\(count)' is not a count, +N or -N")
        #expect(try await f.instances().count == 2)
    }

    /// The API hands `scale` whatever a caller sends: a sum past Int.max once ended the server.
    @Test(arguments: ["10001", "+9999", "+9223372036854775807"])
    func aCountBeyondTheLargestLayerIsRefused(_ count: String) async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await cluster(f)
        let error = await #expect(throws: CloudError.self) { try await f.engine.scale("shop", layer: "web", to: count, hooks: nil) }
        #expect(error?.message == "scale shop/web: '\(count)' is more than the 10000 instances a layer may have")
        #expect(try await f.instances().count == 2)
        #expect(try f.store.layers(cluster: "shop").first?.count == 2)
    }

    @Test func anUnknownLayerOrClusterIsRefused() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await cluster(f)
        let layer = await #expect(throws: CloudError.self) { try await f.engine.scale("shop", layer: "db", to: "+1", hooks: nil) }
        #expect(layer?.message == "cluster shop has no layer db")
        let cluster = await #expect(throws: CloudError.self) { try await f.engine.scale("nope", layer: "web", to: "+1", hooks: nil) }
        #expect(cluster?.message == "no cluster named nope")
    }

    @Test func reconvergeReplacesALostInstanceFromTheRecordedDeclaration() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        try await cluster(f)
        let old = try await f.instance("web-1")
        f.memory.lose(old.id)
        let report = try await f.engine.reconverge("shop", hooks: nil)
        #expect(report.launched.map(\.name) == ["web-1"])
        #expect(try await f.instance("web-1").id != old.id)
        #expect(!(try await f.engine.reconverge("shop", hooks: nil).changed))
    }
}
