import Cloud
@testable import Engine
import Foundation
import Store
import Testing

/// An interrupted rollout as the plan shows it, and what the next run does with it: values in,
/// plan out. (The kills themselves are in EndToEndTests.InterruptedDeployTests.)
@Suite struct UnfinishedDeployTests {
    static func open(ref: String = "v2", on: [String], off: [String], drained: [String] = [], kind: String = "deploy",
                     state: DeployRecord.State = .running) -> UnfinishedDeploy {
        var record = DeployRecord(cluster: "shop", app: "shop", kind: kind, release: "R3", source: "git+file:app", sha: "abc",
                                  ref: ref, archive: "/a.tar", from: "R2")
        record.state = state
        var view = UnfinishedDeploy(record)
        (view.on, view.off, view.drained) = (on, off, drained)
        return view
    }

    func plan(declaring ref: String, _ open: UnfinishedDeploy) -> Plan {
        let shop = app("shop", ["source": "git+file:app", "ref": ref, "start": "python3 server.py"])
        let spec = memorySpec(layers: [LayerSpec(name: "web", count: 3, apps: ["shop"])], apps: ["shop": shop])
        return Planner(spec: spec, inventory: Inventory(instances: ["web-1", "web-2", "web-3"].map { PlannerTests.instance($0) }),
                       recordedApps: ["shop": shop], unfinished: [open], firewall: [], users: [], isLost: { _ in false }).plan()
    }

    @Test func theDeclaredRefFinishesItAndAnotherRollsItBack() {
        let mixed = Self.open(on: ["web-1", "web-2"], off: ["web-3"])
        let finish = plan(declaring: "v2", mixed)
        #expect(finish.steps.map(\.line) == ["~ app shop: finish deploy v2 (R3) on web-3, or roll back web-1, web-2; recipe run finishes it"])
        #expect(finish.unfinished == ["shop": true])
        let back = plan(declaring: "v1", mixed)
        #expect(back.steps.map(\.line) == ["~ app shop: finish deploy v2 (R3) on web-3, or roll back web-1, web-2; recipe run rolls it back"])
        #expect(back.unfinished == ["shop": false] && back.changes == 1)
    }

    @Test func theLineSaysWhatMayBeDrainedAndWhenEveryInstanceSwitched() {
        #expect(Self.open(on: ["web-1"], off: ["web-2", "web-3"], drained: ["web-2"]).summary
                == "finish deploy v2 (R3) on web-2, web-3, or roll back web-1; web-2 may be out of rotation")
        #expect(Self.open(on: ["web-1", "web-2"], off: []).summary
                == "finish deploy v2 (R3): every instance runs it, not yet recorded as current; or roll back web-1, web-2")
    }

    /// A rollout that had failed (it was restoring when killed), or an interrupted rollback, is never finished by a run.
    @Test func aFailedOrRollbackRolloutIsRolledBack() {
        let shop = app("shop", ["source": "git+file:app", "ref": "v2", "start": "x"])
        #expect(Self.open(on: ["web-1"], off: ["web-2"]).finishedBy(shop))
        #expect(!Self.open(on: ["web-1"], off: ["web-2"], state: .restoring).finishedBy(shop))
        #expect(!Self.open(on: ["web-1"], off: ["web-2"], kind: "rollback").finishedBy(shop))
        #expect(!Self.open(on: ["web-1"], off: ["web-2"]).finishedBy(nil), "an app no longer declared")
    }

    @Test func maxSizeTakesUnitsAndNamesItsFieldWhenWrong() throws {
        func size(_ value: JSONValue) throws -> Int64 {
            try AppSpec(name: "shop", json: .object(["start": .string("x"), "max_size": value])).maxSize
        }
        #expect(try size(.string("500MB")) == 500 << 20)
        #expect(try size(.string("1.5 gb")) == 3 << 29)
        #expect(try size(.int(300)) == 300 << 20, "a bare number is MB")
        #expect(try AppSpec(name: "shop", json: .object(["start": .string("x")])).maxSize == AppSpec.defaultMaxSize)
        for wrong: JSONValue in [.string("lots"), .int(0), .string("-5MB"), .bool(true)] {
            #expect(throws: (any Error).self) { try size(wrong) }
            do { _ = try size(wrong) } catch { #expect("\(error)".contains("max_size must be a size such as")) }
        }
        // recorded as declared: a declaration without max_size reads back equal (no spurious redeploy)
        let plain = try AppSpec(name: "shop", json: .object(["start": .string("x")]))
        #expect(try AppSpec(name: "shop", json: plain.json) == plain)
        let sized = try AppSpec(name: "shop", json: .object(["start": .string("x"), "max_size": .string("2GB")]))
        #expect(try AppSpec(name: "shop", json: sized.json) == sized)
    }
}
