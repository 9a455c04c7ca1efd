import Cloud
import Engine
import Foundation
import MemoryCloud
import Store
import Testing

/// One in-process world: a Store in a temporary home, a MemoryProvider with a clock the test
/// moves, registered as "memory", and an Engine over both. `cleanup()` removes the home.
struct Fixture: Sendable {
    static let capabilities: ProviderCapabilities = [.heartbeats, .polling, .commands, .firewall, .ownMetrics, .images]
    /// A fixed start, so times in assertions are exact.
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    let home: URL
    let store: Store
    let memory: MemoryProvider
    let registry: ProviderRegistry
    let engine: Engine
    let time: Locked<Date>

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("inprocess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        store = try Store(home: home)
        let time = Locked(Self.epoch)
        self.time = time
        let memory = MemoryProvider(clock: { time.value })
        self.memory = memory
        registry = ProviderRegistry(defaultKind: "memory")
        registry.register("memory", capabilities: Self.capabilities) { _ in memory }
        engine = Engine(store: store, registry: registry, actor: "test")
    }

    func cleanup() { try? FileManager.default.removeItem(at: home) }

    /// Moves the provider's clock.
    func advance(_ seconds: Double) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var now: Date { time.value }

    /// Another engine on the same Store and registry: it has seen no instance yet.
    func freshEngine() -> Engine { Engine(store: store, registry: registry, actor: "other") }

    func events(_ kind: String) throws -> [Event] { try store.events(kind: kind) }

    func instances(_ cluster: String = "shop") async throws -> [Instance] {
        try await memory.describe(cluster: cluster).instances
    }

    func instance(_ name: String, cluster: String = "shop") async throws -> Instance {
        let found = try await instances(cluster).first { $0.name == name }
        return try #require(found, "no instance \(name) in \(cluster)")
    }
}

/// A cluster on the memory provider.
func memorySpec(_ name: String = "shop", layers: [LayerSpec], firewall: [FirewallRule] = [], users: [UserSpec] = [],
                apps: [String: AppSpec] = [:]) -> ClusterSpec {
    ClusterSpec(name: name, provider: "memory", layers: layers, firewall: firewall, users: users, apps: apps)
}

/// A web layer with a data volume, and a balancer with an elastic IP.
func webWithVolume(_ count: Int) -> LayerSpec {
    LayerSpec(name: "web", count: count, volumes: [VolumeSpec(name: "data", sizeGB: 2, mount: "/srv/data")])
}

func balancer(_ count: Int = 1) -> LayerSpec { LayerSpec(name: "lb", count: count, elasticIP: true) }

/// Lifecycle hooks that record each call as "kind name" (drain and ready: "drain lb-1→web-3") and
/// fail the calls named in `failing`.
final class RecordingHooks: LifecycleHooks {
    /// kind → layers that declare it; a kind absent here is declared by every layer.
    let declared: [HookKind: Set<String>]
    let calls = Locked<[String]>([])
    let failing = Locked<Set<String>>([])
    let reasons = Locked<[String: String]>([:])

    init(declared: [HookKind: Set<String>] = [:], failing: Set<String> = []) {
        self.declared = declared
        self.failing.withLock { $0 = failing }
    }

    func declares(_ kind: HookKind, layer: String) -> Bool { declared[kind]?.contains(layer) ?? true }

    func run(_ kind: HookKind, _ event: HookEvent, timeLimit: Double) async throws {
        let call = "\(kind.rawValue) \(event.instance.name)" + (event.target.map { "→\($0.name)" } ?? "")
        calls.withLock { $0.append(call) }
        reasons.withLock { $0[call] = event.reason }
        if failing.value.contains(call) { throw HookFailure(call: call) }
    }

    /// The calls so far, and whether `a` came before `b`.
    var list: [String] { calls.value }
    func index(_ call: String) -> Int? { list.firstIndex(of: call) }
    func before(_ a: String, _ b: String) -> Bool {
        guard let i = index(a), let j = index(b) else { return false }
        return i < j
    }
    func count(_ prefix: String) -> Int { list.filter { $0.hasPrefix(prefix) }.count }
}

struct HookFailure: Error, CustomStringConvertible {
    let call: String
    var description: String { "recipe.lua:7: \(call) failed on purpose" }
}

/// Waits (a little, polling) until `condition` holds; returns whether it did.
func eventually(_ seconds: Double = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 5_000_000)
    }
    return try await condition()
}

/// An app as a recipe declares it, parsed the one way the parser does.
func app(_ name: String, _ fields: [String: String]) -> AppSpec {
    try! AppSpec(name: name, json: .object(fields.mapValues(JSONValue.string)))
}
