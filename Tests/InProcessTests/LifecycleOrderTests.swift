import Cloud
import Engine
import Foundation
import Store
import Testing

/// OpsWorks' order on the memory provider: launch → setup → deploy → online → configure on every
/// online instance; leavers: drain on the balancers → shutdown → terminate → configure.
@Suite struct LifecycleOrderTests {
    static let shop = app("shop", ["start": "python3 server.py"])

    func web(_ count: Int) -> LayerSpec {
        var web = LayerSpec(name: "web", count: count)
        web.apps = ["shop"]
        return web
    }

    @Test func newcomersAreSetUpDeployedBroughtOnlineThenEveryoneIsConfigured() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let hooks = RecordingHooks()
        let report = try await f.engine.converge(memorySpec(layers: [web(3)], apps: ["shop": Self.shop]), hooks: hooks)
        #expect(report.online == ["web-1", "web-2", "web-3"])
        for n in 1...3 {
            #expect(hooks.before("setup web-\(n)", "deploy web-\(n)"), "\(hooks.list)")
            for m in 1...3 { #expect(hooks.before("deploy web-\(n)", "configure web-\(m)"), "\(hooks.list)") }
        }
        #expect(hooks.count("configure ") == 3, "configure once on every online instance: \(hooks.list)")
        #expect(try await f.instances().allSatisfy { $0.state == .online })
        #expect(try f.events("instance.online").compactMap(\.subject).sorted() == ["web-1", "web-2", "web-3"])
        #expect(hooks.reasons.value["deploy web-1"] == "setup")
        #expect(hooks.reasons.value["configure web-1"] == "membership")
    }

    @Test func convergingAgainChangesNothingAndRunsNoHook() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [web(2)], apps: ["shop": Self.shop])
        _ = try await f.engine.converge(spec, hooks: RecordingHooks())
        let ids = try await f.instances().map(\.id)
        let again = RecordingHooks()
        let report = try await f.engine.converge(spec, hooks: again)
        #expect(!report.changed)
        #expect(again.list.isEmpty, "\(again.list)")
        #expect(try await f.instances().map(\.id) == ids)
    }

    @Test func leaversAreDrainedShutDownAndTerminatedThenTheRestIsConfigured() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let onlyBalancersDrain: [HookKind: Set<String>] = [.drain: ["lb"]]
        _ = try await f.engine.converge(memorySpec(layers: [LayerSpec(name: "lb", count: 1), LayerSpec(name: "web", count: 3)]),
                                        hooks: RecordingHooks(declared: onlyBalancersDrain))
        let leaving = try await f.instance("web-3")
        let hooks = RecordingHooks(declared: onlyBalancersDrain)
        let report = try await f.engine.converge(memorySpec(layers: [LayerSpec(name: "lb", count: 1), LayerSpec(name: "web", count: 2)]),
                                                 hooks: hooks)
        #expect(report.terminated == ["web-3"])
        #expect(hooks.before("drain lb-1→web-3", "shutdown web-3"), "\(hooks.list)")
        #expect(hooks.reasons.value["shutdown web-3"] == "terminating")
        for name in ["lb-1", "web-1", "web-2"] { #expect(hooks.before("shutdown web-3", "configure \(name)"), "\(hooks.list)") }
        #expect(hooks.index("configure web-3") == nil, "a leaver is not configured")
        #expect(hooks.count("drain web-") == 0, "web does not balance")
        #expect(try await f.instances().contains { $0.id == leaving.id } == false)
    }

    @Test func aFailingSetupLeavesSetupFailedAndTheOthersGoOnline() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let hooks = RecordingHooks(failing: ["setup web-2"])
        let report = try await f.engine.converge(memorySpec(layers: [web(3)], apps: ["shop": Self.shop]), hooks: hooks)
        #expect(report.setupFailed == ["web-2"])
        #expect(report.online == ["web-1", "web-3"])
        #expect(try await f.instance("web-2").state == .setupFailed)
        #expect(hooks.index("deploy web-2") == nil, "no deploy after a failed setup")
        #expect(hooks.index("configure web-2") == nil && hooks.index("configure web-1") != nil)
        let failed = try f.events("hook.setup").filter { $0.subject == "web-2" }
        #expect(failed.map(\.result) == ["failed: recipe.lua:7: setup web-2 failed on purpose"])
    }

    @Test func theNextConvergeRunsAFailedSetupAgainAndOnlyThatOne() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let spec = memorySpec(layers: [web(2)], apps: ["shop": Self.shop])
        _ = try await f.engine.converge(spec, hooks: RecordingHooks(failing: ["setup web-2"]))
        let retry = RecordingHooks()
        let report = try await f.engine.converge(spec, hooks: retry)
        #expect(report.online == ["web-2"])
        #expect(retry.count("setup ") == 1 && retry.index("setup web-2") != nil, "\(retry.list)")
        #expect(retry.before("deploy web-2", "configure web-1"))
        #expect(try await f.instances().allSatisfy { $0.state == .online })
    }

    @Test func stoppingAnInstanceDrainsItShutsItDownThenConfiguresTheRest() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let declared: [HookKind: Set<String>] = [.drain: ["lb"]]
        _ = try await f.engine.converge(memorySpec(layers: [LayerSpec(name: "lb", count: 1), LayerSpec(name: "web", count: 2)]),
                                        hooks: RecordingHooks(declared: declared))
        let web2 = try await f.instance("web-2")
        let hooks = RecordingHooks(declared: declared)
        try await f.engine.stop(instance: web2.id, hooks: hooks)
        #expect(hooks.before("drain lb-1→web-2", "shutdown web-2"), "\(hooks.list)")
        #expect(hooks.reasons.value["shutdown web-2"] == "stopping")
        #expect(hooks.before("shutdown web-2", "configure web-1"))
        #expect(hooks.index("configure web-2") == nil)
        #expect(try await f.instance("web-2").state == .stopped)
    }
}
