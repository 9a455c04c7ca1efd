import Foundation
import Testing
@testable import Store

/// Events carry their cause, chains are bounded in depth, and hooks' emits in rate (issue 18, point 5).
@Suite struct EventCauseTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("cause-\(UUID().uuidString.prefix(8))")

    @Test func anEventRecordedForAHookRunNamesTheRunItsEventAndIsOneDeeper() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        let outside = try store.record(Event(actor: "cli:test", cluster: "c", kind: "app.ready", subject: nil))
        #expect(outside.depth == 0 && outside.causeRun == nil)
        let cause = EventCause(run: 7, hook: "r.lua#on:app.ready#1", event: outside.id, depth: outside.depth)
        let caused = try EventCause.$current.withValue(cause) {
            try store.record(Event(actor: "recipe", cluster: "c", kind: "app.again", subject: nil))
        }
        let read = try #require(try store.event(caused.id!))
        #expect(read.causeRun == 7 && read.causeEvent == outside.id && read.depth == 1)
        // the dispatcher's page reads them too
        #expect(try store.eventPage(after: outside.id!, limit: 10).first == read)
        #expect(try store.causeChain(endingAt: caused.id) == ["app.ready #\(outside.id!)", "run 7", "app.again #\(caused.id!)"])
    }

    @Test func aRefusedLoopIsRecordedWithItsChainAndStartsAChainOfItsOwn() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        var last = try store.record(Event(actor: "cli:test", cluster: "c", kind: "loop.tick", subject: nil))
        for run in 1...3 {
            var next = Event(actor: "recipe", cluster: "c", kind: "loop.tick", subject: nil)
            next.caused(by: EventCause(run: Int64(run), hook: "h", event: last.id, depth: last.depth))
            last = try store.record(next)
        }
        #expect(last.depth == 3)
        let cause = EventCause(run: 4, hook: "loop.lua#on:loop.tick#1", event: last.id, depth: last.depth)
        let loop = try store.recordLoop(refused: "loop.tick", cluster: "c", cause: cause, limit: 3)
        #expect(loop.kind == "hook.loop" && loop.subject == "loop.lua#on:loop.tick#1" && loop.depth == 0)
        #expect(loop.causeRun == 4 && loop.causeEvent == last.id)
        let ids = try store.events(kind: "loop.tick").compactMap(\.id)
        #expect(loop.detail == "loop.tick #\(ids[0]) → run 1 → loop.tick #\(ids[1]) → run 2 → loop.tick #\(ids[2]) → run 3 → "
                + "loop.tick #\(ids[3]) → run 4 → loop.tick refused")
        #expect(loop.result.contains("deeper than 3"))

        // a loop that runs through hook.loop (a hook on it emitting into the loop again) is cut there
        var again = Event(actor: "recipe", cluster: "c", kind: "loop.tick", subject: nil)
        again.caused(by: EventCause(run: 5, hook: "h", event: loop.id, depth: loop.depth))
        let through = try store.record(again)
        let second = try store.recordLoop(refused: "loop.tick", cluster: "c",
                                          cause: EventCause(run: 6, hook: "h", event: through.id, depth: through.depth), limit: 3)
        #expect(second.depth == 4)
    }

    @Test func hookLimitsRefuseTooDeepAChainAndCountWhatIsOverTheRate() {
        let limits = HookLimits(maxDepth: 2, emitRate: 3)
        var deep = Event(actor: "recipe", cluster: "c", kind: "loop.tick", subject: nil)
        deep.depth = 3
        #expect(limits.refusal(of: deep)?.contains("more than 2") == true)
        deep.depth = 2
        // three a second are admitted (five calls take microseconds, within one second)
        let refusals = (0..<5).map { _ in limits.refusal(of: deep) }
        #expect(refusals.prefix(3).allSatisfy { $0 == nil })
        #expect(refusals.suffix(2).allSatisfy { $0?.contains("more than 3 events a second") == true })
        #expect(limits.limiter.drain().map(\.dropped).reduce(0, +) == refusals.filter { $0 != nil }.count)
        #expect(limits.limiter.drain().isEmpty, "drained counts start again from zero")
    }

    @Test func theRateIsPerClusterAndPerSecond() {
        let limiter = EmitLimiter(perSecond: 2)
        let t = Date(timeIntervalSince1970: 1_000_000)
        #expect([limiter.admit(cluster: "a", at: t), limiter.admit(cluster: "a", at: t), limiter.admit(cluster: "a", at: t)] == [true, true, false])
        #expect(limiter.admit(cluster: "b", at: t), "another cluster has its own budget")
        #expect(limiter.admit(cluster: "a", at: t.addingTimeInterval(1)), "the next second starts again")
        let drained = limiter.drain()
        #expect(drained.count == 1 && drained[0].cluster == "a" && drained[0].dropped == 1)
    }
}
