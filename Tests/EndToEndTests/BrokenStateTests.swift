import Foundation
import Testing

/// Issue 18, point 7: broken state is handled. A damaged or empty state.db is refused with what
/// to do (never taken as a new home), `recipe destroy --force` stops the home's processes without
/// it, a copy made by `recipe state backup` is put back by `recipe state restore`, and first
/// commands on a new home do not race their migrations.
@Suite struct BrokenStateTests {
    @Test func point7_aDamagedStateIsRefusedForceStopsItsProcessesAndACopyComesBack() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("five.lua", LockTests.five)
        #expect(try h.recipe(["run", recipe]).code == 0)
        #expect(try h.recipe(["state", "check"]).stdout.contains("state.db: ok"))
        let copy = h.home.appendingPathComponent("copy.db").path
        #expect(try h.recipe(["state", "backup", copy]).code == 0)
        #expect(h.agentPIDs().count == 5)

        let state = h.home.appendingPathComponent("state.db")
        let handle = try FileHandle(forWritingTo: state)
        try handle.write(contentsOf: Data(repeating: 0x58, count: 32))
        try handle.close()
        let status = try h.recipe(["status"])
        #expect(status.code != 0 && status.stderr.contains("is not a state this tool can read: it is not an SQLite database"), "\(status.stderr)")
        #expect(!status.stderr.contains("SQLite error"), "no SQLite internals: \(status.stderr)")
        let check = try h.recipe(["state", "check"])
        #expect(check.code == 1 && check.stderr.contains("recipe state restore"), "it says what to do: \(check.stderr)")
        #expect(try h.recipe(["destroy", "five", "--yes"]).code == 1)
        #expect(h.agentPIDs().count == 5, "a plain destroy stops nothing it cannot see")
        let forced = try h.recipe(["destroy", "five", "--yes", "--force"])
        #expect(forced.code == 0 && forced.stdout.contains("stopped all"), "\(forced.stdout)\(forced.stderr)")
        #expect(Harness.eventually(timeout: 10) { h.agentPIDs().isEmpty } != nil, "no process of the home is left")

        try Data().write(to: state)
        let empty = try h.recipe(["status"])
        #expect(empty.code != 0 && empty.stderr.contains("it is empty (0 bytes)"), "a 0-byte state is not a new home: \(empty.stderr)")
        let restored = try h.recipe(["state", "restore", copy])
        #expect(restored.code == 0, "\(restored.stderr)")
        #expect(try h.status("five").instances.count == 5, "the copy is the state again")
    }

    @Test func point7_firstCommandsOnANewHomeDoNotRaceTheirMigrations() throws {
        for round in 1...5 {
            let h = try Harness()
            defer { h.cleanup() }
            // started one after the other from this thread (Foundation's Process is not safe to make
            // on several threads at once), so they open the new home together
            let started = try (1...4).map { try h.start(["status"], log: "status-\($0).log") }
            for (index, process) in started.enumerated() {
                process.waitUntilExit()
                let log = (try? String(contentsOf: h.home.appendingPathComponent("status-\(index + 1).log"), encoding: .utf8)) ?? ""
                #expect(process.terminationStatus == 0 && !log.contains("already exists") && !log.contains("empty"), "round \(round): \(log)")
            }
        }
    }
}
