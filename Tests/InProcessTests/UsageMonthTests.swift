import Cloud
import Engine
import Foundation
import MemoryCloud
import Store
import Testing

/// A memory-provider cluster driven through November 2026 on the provider's clock: `recipe
/// usage`'s report counts its hours to the minute and its cost to the micro-dollar (issue 13, point 5).
@Suite struct UsageMonthTests {
    static func at(_ text: String) -> Date { Usage.instant(text)! }

    static let shippedPrices: PriceTable = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try! PriceTable.load(root.appendingPathComponent("Stdlib/prices/ec2-on-demand.csv"))
    }()

    /// Hours and minutes in seconds.
    func hm(_ hours: Int64, _ minutes: Int64 = 0) -> Int64 { (hours * 60 + minutes) * 60 }

    @Test func aKnownMonthAddsUpToTheMinuteAndTheMicroDollar() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        // The cloud records what it does in the Store, at its clock's time, as the engine that asked.
        f.memory.record(to: f.store)
        let registry = ProviderRegistry(defaultKind: "memory")
        registry.register("memory", capabilities: Fixture.capabilities) { request in
            f.memory.acting(as: request.actor, region: request.options["region"])
        }
        let alice = Engine(store: f.store, registry: registry, actor: "cli:alice")
        let scheduler = Engine(store: f.store, registry: registry, actor: "scheduler")
        func move(to time: String) { f.time.withLock { $0 = Self.at(time) } }

        var spec = memorySpec(layers: [LayerSpec(name: "web", count: 1, instanceType: "t3.micro"),
                                       LayerSpec(name: "db", count: 1, instanceType: "m5.large",
                                                 volumes: [VolumeSpec(name: "data", sizeGB: 100, mount: "/srv/data")])])
        spec.providerOptions = ["region": "us-east-1"]
        move(to: "2026-11-01T10:00")
        _ = try await alice.converge(spec)
        move(to: "2026-11-03T14:30")
        _ = try await UsageTags.$cause.withValue("autoscale") {
            try await scheduler.scale("shop", layer: "web", to: "+1", hooks: nil)
        }
        move(to: "2026-11-10T08:00")
        f.memory.lose(try await f.instance("db-1").id)
        move(to: "2026-11-10T08:15")
        _ = try await scheduler.reconverge("shop", hooks: nil)  // the lost db-1 is replaced in its slot
        move(to: "2026-11-15T12:00")
        let extra = try await alice.launch(cluster: "shop", layer: "web", name: nil, services: [], instanceType: "t3.micro")
        move(to: "2026-11-16T12:00")
        try await alice.terminate(instance: extra.id)
        move(to: "2026-11-20T10:00")
        _ = try await alice.destroy(cluster: "shop")
        move(to: "2026-12-05T00:00")

        let (since, until) = try #require(Usage.month("2026-11"))
        let report = try alice.usage(cluster: "shop", since: since, until: until, now: f.now, by: .cause, prices: Self.shippedPrices)
        func row(_ key: String) -> Usage.Row? { report.rows.first { $0.key == key } }
        #expect(report.rows.map(\.key) == ["autoscale", "declared", "heal", "manual"])
        // web-1 Nov 1 10:00 → Nov 20 10:00 (456 h), db-1 → Nov 10 08:15 (214 h 15 min), its volume 19 days.
        #expect(row("declared")?.instanceSeconds == hm(670, 15))
        #expect(row("declared")?.volumeMicroGBMonths == 63_333_333)  // 100 GB × 19 / 30 days
        #expect(row("declared")?.cost == 30_377_067)  // 4.7424 + 20.568 + 5.066667
        // web-2 from Nov 3 14:30: 403 h 30 min of t3.micro.
        #expect(row("autoscale")?.instanceSeconds == hm(403, 30))
        #expect(row("autoscale")?.cost == 4_196_400)
        // db-1's replacement from Nov 10 08:15: 241 h 45 min of m5.large.
        #expect(row("heal")?.instanceSeconds == hm(241, 45))
        #expect(row("heal")?.cost == 23_208_000)
        // web-3, launched by hand for a day.
        #expect(row("manual")?.instanceSeconds == hm(24))
        #expect(row("manual")?.cost == 249_600)
        #expect(report.total.instanceSeconds == hm(1339, 30))
        #expect(report.total.cost == 58_031_067)
        #expect(report.warnings.isEmpty)

        let document = report.document(pricesAsOf: Self.shippedPrices.asOf)
        #expect(document.total.instanceHours == "1339.500000" && document.total.costUSD == "58.031067")
        #expect(document.total.volumeGBMonths == "63.333333")

        let users = try alice.usage(cluster: "shop", since: since, until: until, now: f.now, by: .user, prices: Self.shippedPrices)
        #expect(users.rows.map(\.key) == ["cli:alice", "scheduler"])
        #expect(users.rows.first?.instanceSeconds == hm(694, 15))
        let layers = try alice.usage(cluster: "shop", since: since, until: until, now: f.now, by: .layer, prices: Self.shippedPrices)
        #expect(layers.rows.map(\.key) == ["shop/db", "shop/web"])  // the volume, made with db-1, counts in db
        #expect(layers.total == report.total)
    }

    @Test func hooksOnFailuresHealAndAlarmsAutoscale() {
        func cause(_ hook: String?) -> String {
            guard let hook else { return UsageTags.currentCause(default: "manual") }
            return EventCause.$current.withValue(EventCause(run: 1, hook: hook, event: nil, depth: 0)) {
                UsageTags.currentCause(default: "manual")
            }
        }
        #expect(cause("shop.lua#on:instance.failed#1") == "heal")
        #expect(cause("shop.lua#when:shop/web/cpu/avg/>70#1") == "autoscale")
        #expect(cause("shop.lua#every:10m#1") == "hook")
        #expect(cause(nil) == "manual")
        #expect(UsageTags.$cause.withValue("declared") { cause("shop.lua#on:instance.failed#1") } == "declared")
    }
}
