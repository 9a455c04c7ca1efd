import Cloud
import Foundation
import Testing
@testable import LocalCloud
@testable import Store

/// What `recipe logs` keeps: the newest 50 entries of each kind per instance (and per cluster for
/// scheduled hook runs), each bounded to 64 KiB, cleaned of secrets; and how a service's log is
/// read from an offset, whole lines only.
@Suite struct LogStoreTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("logs-\(UUID().uuidString.prefix(8))")

    func entry(_ instance: String?, _ kind: LogEntry.Kind, _ text: String, cluster: String = "shop") -> LogEntry {
        LogEntry(cluster: cluster, instance: instance.map { "name-\($0)" }, instanceID: instance, kind: kind, source: "echo",
                 text: text, exitCode: kind == .command ? 0 : nil)
    }

    @Test func theNewest50OfEachKindPerInstanceAreKept() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        for n in 1...55 {
            try store.appendLogs([entry("i-1", .command, "run \(n)")])
        }
        try store.appendLogs([entry("i-1", .hook, "hook 1"), entry("i-2", .command, "other 1")])
        for n in 1...53 { try store.appendLogs([entry(nil, .hook, "timer \(n)")]) }
        try store.appendLogs([entry(nil, .hook, "elsewhere", cluster: "other")])

        let commands = try store.logs(cluster: "shop", instance: "i-1", kinds: [.command])
        #expect(commands.count == 50)
        #expect(commands.first?.text == "run 6" && commands.last?.text == "run 55", "the oldest five went")
        // another kind, another instance, another cluster: untouched by the pruning
        #expect(try store.logs(cluster: "shop", instance: "i-1", kinds: [.hook]).map(\.text) == ["hook 1"])
        #expect(try store.logs(cluster: "shop", instance: "name-i-2").map(\.text) == ["other 1"])
        let timers = try store.logs(cluster: "shop", kinds: [.hook]).filter { $0.instanceID == nil }
        #expect(timers.count == 50 && timers.first?.text == "timer 4")
        #expect(try store.logs(cluster: "other").map(\.text) == ["elsewhere"])
        // the newest N, oldest first; after a cursor
        #expect(try store.logs(cluster: "shop", instance: "i-1", kinds: [.command], newest: 2).map(\.text) == ["run 54", "run 55"])
        let last = try #require(commands.last?.id)
        try store.appendLogs([entry("i-1", .command, "run 56")])
        #expect(try store.logs(cluster: "shop", instance: "i-1", after: last).map(\.text) == ["hook 1", "run 56"])
    }

    @Test func aClusterKeepsAtMostItsBoundAndADestroyedOneNothing() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        // 5 instances (replaced ones, say) with their 20 each, past a bound of 50 (the real one is 10,000)
        for n in 1...5 {
            _ = try store.appendLogs((1...20).map { entry("i-\(n)", .command, "\(n)-\($0)") }, clusterBound: 50)
        }
        _ = try store.appendLogs([entry("i-1", .command, "other cluster", cluster: "other")], clusterBound: 50)
        let kept = try store.logs(cluster: "shop")
        #expect(kept.count == 50)
        #expect(kept.first?.text == "3-11" && kept.last?.text == "5-20", "the oldest went")
        try store.deleteCluster("shop")
        #expect(try store.logs(cluster: "shop").isEmpty)
        #expect(try store.logs(cluster: "other").count == 1)
    }

    @Test func anEntryIsBoundedAndCleanedOfSecrets() throws {
        let store = try Store(home: home)
        defer { try? FileManager.default.removeItem(at: home) }
        try SecretVault(home: home).set("pw", value: "hunter2-xyz")
        let big = String(repeating: "é-line\n", count: 20_000)  // 160 KB of two-byte characters
        let kept = try store.appendLogs([
            entry("i-1", .command, big + "last line\n"),
            LogEntry(cluster: "shop", instance: "web-1", instanceID: "i-1", kind: .hook,
                     source: "configure " + SecretText.reference("pw"), text: "the password is hunter2-xyz\n", result: "failed: hunter2-xyz"),
        ])
        let text = kept[0].text
        #expect(text.utf8.count <= Store.logBytes)
        #expect(text.hasPrefix("[… ") && text.contains("bytes before were cut]\n") && text.hasSuffix("é-line\nlast line\n"))
        #expect(LogEntry.bounded(text) == text, "bounding a bounded text changes nothing")
        let read = try store.logs(cluster: "shop", kinds: [.hook])
        #expect(read.map(\.text) == ["the password is ***\n"])
        #expect(read.map(\.source) == ["configure ***"] && read.map(\.result) == ["failed: ***"])
        let db = try Data(contentsOf: home.appendingPathComponent("state.db"))
        #expect(db.range(of: Data("hunter2-xyz".utf8)) == nil)
    }

    @Test func aServiceLogIsReadInWholeLinesFromWhereTheLastReadEnded() throws {
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.appendingPathComponent("web.log")
        try "one\ntwo\nthr".write(to: file, atomically: true, encoding: .utf8)
        let first = try #require(ServiceOutput.read(file, service: "web", from: nil, tail: 1000))
        #expect(first.text == "one\ntwo\n" && first.end == 8, "the line being written waits")
        try "one\ntwo\nthree\nfour\n".write(to: file, atomically: true, encoding: .utf8)
        let next = try #require(ServiceOutput.read(file, service: "web", from: first.end, tail: 1000))
        #expect(next.text == "three\nfour\n" && next.end == 19)
        #expect(ServiceOutput.read(file, service: "web", from: next.end, tail: 1000)?.text == "")
        // a tail starts at a whole line; a log shorter than the offset was trimmed: read from its start
        #expect(ServiceOutput.read(file, service: "web", from: nil, tail: 8)?.text == "four\n")
        try "[trimmed]\nfive\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(ServiceOutput.read(file, service: "web", from: next.end, tail: 1000)?.text == "[trimmed]\nfive\n")
    }
}
