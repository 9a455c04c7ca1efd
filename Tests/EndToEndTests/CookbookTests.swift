import Foundation
import TestSupport
import Testing

/// Issue 17's acceptance: two teams' repositories. Team A publishes `pg` 1.0.0 and 1.1.0, which
/// depend on `disk ^1`; team B's recipe adds `pg@^1.0` and runs what the lock pins, and nothing else.
@Suite struct CookbookTests {
    /// As on a developer's machine: under CI=true (as CI runs these tests) an install is frozen.
    static let notCI = ["CI": "false"]

    /// A cookbook's git repository of team A's, each release a tagged commit.
    struct Published {
        let path: URL

        init(_ name: String, in folder: URL) throws {
            path = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
            try git(["init", "-q", "-b", "main"])
        }

        func release(_ name: String, _ version: String, depends: String = "", extra: String = "") throws {
            try "cookbook \"\(name)\" {\n  version = \"\(version)\",\n  depends = { \(depends) },\n}\n"
                .write(to: path.appendingPathComponent("cookbook.lua"), atomically: true, encoding: .utf8)
            try "--- \(name), as team A ships it\nlocal M = {}\nfunction M.version() return \"\(version)\" end\n\(extra)return M\n"
                .write(to: path.appendingPathComponent("\(name).lua"), atomically: true, encoding: .utf8)
            try git(["add", "-A"])
            try git(["-c", "user.email=a@example", "-c", "user.name=team-a", "commit", "-qm", version])
            try git(["tag", "-f", "v" + version])
        }

        func git(_ arguments: [String]) throws { try DeployTests.Repository.git(arguments, in: path) }
    }

    /// Team A's repositories: `disk` 1.0.0, and `pg` at each of `pg` (depending on `disk ^1`).
    static func teamA(_ h: Harness, pg versions: [String]) throws -> (folder: URL, disk: Published, pg: Published) {
        let folder = h.scratch.appendingPathComponent("team-a")
        let disk = try Published("disk", in: folder)
        try disk.release("disk", "1.0.0")
        let pg = try Published("pg", in: folder)
        for version in versions { try pg.release("pg", version, depends: #"disk = "^1""#) }
        return (folder, disk, pg)
    }

    /// An empty recipe folder of team B's.
    static func teamB(_ h: Harness) throws -> URL {
        let folder = h.scratch.appendingPathComponent("team-b")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aTeamAddsACookbookGetsItsDependencyLockedAndRunsOnlyWhatTheLockPins() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let (teamA, _, pg) = try Self.teamA(h, pg: ["1.0.0", "1.1.0"])
        let teamB = try Self.teamB(h)
        try """
            local pg, disk = require "pg", require "disk"
            print("pg " .. pg.version() .. ", disk " .. disk.version())
            """.write(to: teamB.appendingPathComponent("shop.lua"), atomically: true, encoding: .utf8)
        let recipe = teamB.appendingPathComponent("shop.lua").path

        let added = try h.recipe(["cookbook", "add", "pg", "git+file://\(pg.path.path)@^1.0", "--dir", teamB.path])
        #expect(added.code == 0, "\(added.stderr)")
        let installed = try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI)
        #expect(installed.code == 0 && installed.stdout.contains("pg 1.1.0") && installed.stdout.contains("disk 1.0.0"), "\(installed.stdout)\(installed.stderr)")
        let lock = try JSONSerialization.jsonObject(with: Data(contentsOf: teamB.appendingPathComponent("cookbooks.lock"))) as? [String: Any]
        let entries = try #require(lock?["cookbooks"] as? [[String: Any]])
        #expect(entries.map { "\($0["name"]!) \($0["version"]!)" } == ["disk 1.0.0", "pg 1.1.0"], "the newest pg in ^1.0, and its dependency")
        #expect(entries.allSatisfy { ($0["sha256"] as? String)?.count == 64 && ($0["commit"] as? String)?.count == 40 }, "\(entries)")
        #expect((entries[0]["requiredBy"] as? [String]) == ["pg"])
        let ran = try h.recipe(["run", recipe])
        #expect(ran.code == 0 && ran.stdout.contains("pg 1.1.0, disk 1.0.0"), "\(ran.stdout)\(ran.stderr)")

        // a cached file changed after install: the run is refused before the recipe runs, naming both digests
        let cached = try #require(try FileManager.default.contentsOfDirectory(atPath: h.home.appendingPathComponent("cookbooks/pg").path).first)
        let file = h.home.appendingPathComponent("cookbooks/pg/\(cached)/pg.lua")
        let original = try String(contentsOf: file, encoding: .utf8)
        try (original + "os = nil -- tampered\n").write(to: file, atomically: true, encoding: .utf8)
        let tampered = try h.recipe(["run", recipe])
        let locked = try #require(entries[1]["sha256"] as? String)
        #expect(tampered.code == 1 && tampered.stderr.contains("cookbook pg 1.1.0 does not match cookbooks.lock") && tampered.stderr.contains(locked)
                && !tampered.stdout.contains("pg 1.1.0,"), "\(tampered.stderr)")
        try original.write(to: file, atomically: true, encoding: .utf8)

        // offline: team A's repositories gone, the cache installs what the lock pins
        let away = h.scratch.appendingPathComponent("team-a-away")
        try FileManager.default.moveItem(at: teamA, to: away)
        let offline = try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI)
        #expect(offline.code == 0 && offline.stdout.contains("0 fetched, 2 from the cache"), "\(offline.stdout)\(offline.stderr)")
        try FileManager.default.moveItem(at: away, to: teamA)

        // a moved tag, on a machine with an empty cache: the commit in the lock catches it
        try pg.release("pg", "1.1.0", depends: #"disk = "^1""#, extra: "-- a change under the same tag\n")
        try FileManager.default.removeItem(at: h.home.appendingPathComponent("cookbooks"))
        let moved = try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI)
        #expect(moved.code == 1 && moved.stderr.contains("tag v1.1.0 now points at") && moved.stderr.contains("the tag was moved"), "\(moved.stderr)")

        // a conflict is one line: edge wants disk ^2, pg wants disk ^1
        let edge = try Published("edge", in: teamA)
        try edge.release("edge", "1.0.0", depends: #"disk = "^2""#)
        #expect(try h.recipe(["cookbook", "add", "edge", "git+file://\(edge.path.path)", "--dir", teamB.path]).code == 0)
        let frozen = try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: ["CI": "true"])
        #expect(frozen.code == 1 && frozen.stderr.contains("cookbooks.lock does not cover cookbooks.lua: edge is not in cookbooks.lock"), "under CI the lock is frozen: \(frozen.stderr)")
        let frozenRun = try h.recipe(["run", recipe], environment: ["CI": "true"])
        #expect(frozenRun.code == 1 && frozenRun.stderr.contains("cookbooks.lock does not cover cookbooks.lua: edge is not in cookbooks.lock"),
                "under CI a run refuses a lock that does not cover cookbooks.lua: \(frozenRun.stderr)")
        let conflict = try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI)
        let line = conflict.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(conflict.code == 1 && line.hasSuffix("disk ^2 (from edge) conflicts with disk ^1 (from pg)") && !line.contains("\n"), "\(line)")
    }

    @Test func outdatedShowsWhatTheRangesTakeAndUpdateMovesOneCookbookOnly() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let (_, disk, pg) = try Self.teamA(h, pg: ["1.1.0"])
        let teamB = try Self.teamB(h)
        #expect(try h.recipe(["cookbook", "add", "pg", "git+file://\(pg.path.path)@^1.0", "--dir", teamB.path]).code == 0)
        #expect(try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI).code == 0)
        try pg.release("pg", "1.2.0", depends: #"disk = "^1""#)
        try pg.release("pg", "2.0.0", depends: #"disk = "^1""#)
        try disk.release("disk", "1.1.0")
        let outdated = try h.recipe(["cookbook", "outdated", "--dir", teamB.path])
        let rows = outdated.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(rows == ["cookbook locked in range newest", "disk 1.0.0 1.1.0 1.1.0", "pg 1.1.0 1.2.0 2.0.0"], "\(outdated.stdout)\(outdated.stderr)")
        // a new install keeps what the lock has; update pg moves pg alone, within ^1.0
        #expect(try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI).stdout.contains("from the cache"))
        let updated = try h.recipe(["cookbook", "update", "pg", "--dir", teamB.path])
        #expect(updated.code == 0 && updated.stdout.contains("pg 1.1.0 -> 1.2.0") && updated.stdout.contains("disk 1.0.0 (unchanged)"), "\(updated.stdout)\(updated.stderr)")
        let all = try h.recipe(["cookbook", "update", "--dir", teamB.path])
        #expect(all.stdout.contains("disk 1.0.0 -> 1.1.0") && all.stdout.contains("pg 1.2.0 (unchanged)"), "\(all.stdout)\(all.stderr)")
        let unknown = try h.recipe(["cookbook", "update", "mysql", "--dir", teamB.path])
        #expect(unknown.code == 1 && unknown.stderr.contains("mysql is not in cookbooks.lock"), "\(unknown.stderr)")
    }

    @Test func anArchiveIsTakenOnlyWithItsSHA256AndInstallsOfflineFromTheCache() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let served = h.scratch.appendingPathComponent("served")
        let folder = served.appendingPathComponent("mq-1.0.0")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "cookbook \"mq\" { version = \"1.0.0\", license = \"MIT\" }\n".write(to: folder.appendingPathComponent("cookbook.lua"), atomically: true, encoding: .utf8)
        try "return { queue = \"mq 1.0.0\" }\n".write(to: folder.appendingPathComponent("mq.lua"), atomically: true, encoding: .utf8)
        #expect(try h.sh("tar -czf '\(served.path)/mq-1.0.0.tar.gz' -C '\(served.path)' mq-1.0.0 && sha256sum '\(served.path)/mq-1.0.0.tar.gz' > '\(served.path)/sum'") == 0)
        let sha = try #require(try String(contentsOfFile: served.path + "/sum", encoding: .utf8).split(separator: " ").first.map(String.init))
        // a web server of the test's own on loopback (plain http is taken there only)
        let port = try FreePort.find()
        let server = try h.background(["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", served.path])
        defer { h.stop(server) }
        _ = Harness.eventually(timeout: 10) { Harness.get("http://127.0.0.1:\(port)/sum") != nil }
        let url = "http://127.0.0.1:\(port)/mq-1.0.0.tar.gz"
        let teamB = try Self.teamB(h)
        let unpinned = try h.recipe(["cookbook", "add", "mq", url, "--dir", teamB.path])
        #expect(unpinned.code != 0 && unpinned.stderr.contains("an archive needs its sha256"), "\(unpinned.stderr)")
        let wrong = String(repeating: "0", count: 64)
        #expect(try h.recipe(["cookbook", "add", "mq", url, "--sha256", wrong, "--dir", teamB.path]).code == 0)
        let refused = try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI)
        #expect(refused.code == 1 && refused.stderr.contains("has sha256 \(sha), not \(wrong) as given: refused"), "\(refused.stderr)")
        #expect(try h.recipe(["cookbook", "add", "mq", url, "--sha256", sha, "--dir", teamB.path]).code == 0)
        let installed = try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI)
        #expect(installed.code == 0 && installed.stdout.contains("mq 1.0.0"), "\(installed.stdout)\(installed.stderr)")
        try "print(require(\"mq\").queue)\n".write(to: teamB.appendingPathComponent("uses.lua"), atomically: true, encoding: .utf8)
        #expect(try h.recipe(["run", teamB.appendingPathComponent("uses.lua").path]).stdout.contains("mq 1.0.0"))
        // the server gone: the cache still installs what the lock pins
        h.stop(server)
        let offline = try h.recipe(["cookbook", "install", "--dir", teamB.path], environment: Self.notCI)
        #expect(offline.code == 0 && offline.stdout.contains("0 fetched, 1 from the cache"), "\(offline.stdout)\(offline.stderr)")
    }

    @Test func stdlibsHaproxyIsACookbookWhoseTestsPassOnTheMemoryProvider() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let started = Date()
        let tested = try h.recipe(["cookbook", "test", "Stdlib/haproxy"])
        let took = Date().timeIntervalSince(started)
        let doc = try h.recipe(["cookbook", "doc", "Stdlib/haproxy"])
        #expect(doc.code == 0 && doc.stdout.hasPrefix("# haproxy 1.0.0\n") && doc.stdout.contains("### `haproxy.service(options)`")
                && doc.stdout.contains("- `options`: `{ listen = PORT }`") && doc.stdout.contains("```lua\nservices = { haproxy = haproxy.service"), "\(doc.stdout)")
        #expect(tested.code == 0 && tested.stdout.contains("ok    tests/haproxy_test.lua")
                && tested.stdout.contains("haproxy 1.0.0: 1 of 1 passed on the memory provider"), "\(tested.stdout)\(tested.stderr)")
        #expect(took < 5, "\(took) s")
        for other in ["heal", "autoscale", "backup"] {
            let result = try h.recipe(["cookbook", "test", "Stdlib/\(other)"])
            #expect(result.code == 0 && result.stdout.contains("\(other) 1.0.0: 1 of 1 passed on the memory provider"), "\(result.stdout)\(result.stderr)")
        }
        // a test that fails says which and why, and the command fails
        let broken = h.scratch.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken.appendingPathComponent("tests"), withIntermediateDirectories: true)
        try "cookbook \"broken\" { version = \"0.1.0\" }\n".write(to: broken.appendingPathComponent("cookbook.lua"), atomically: true, encoding: .utf8)
        try "return {}\n".write(to: broken.appendingPathComponent("broken.lua"), atomically: true, encoding: .utf8)
        try "local b = require \"broken\"\nassert(b.works, \"broken does not work\")\n"
            .write(to: broken.appendingPathComponent("tests/works_test.lua"), atomically: true, encoding: .utf8)
        let failed = try h.recipe(["cookbook", "test", broken.path])
        #expect(failed.code == 1 && failed.stdout.contains("FAIL  tests/works_test.lua") && failed.stdout.contains("works_test.lua:2: broken does not work"),
                "\(failed.stdout)\(failed.stderr)")
        // the Stdlib cookbooks are still what `require` finds
        let recipe = try h.write("uses.lua", "assert(require(\"haproxy\").hooks and require(\"heal\").watch and require(\"backup\").watch)\n")
        #expect(try h.recipe(["run", recipe]).code == 0)
    }

    /// A manifest may also be a returned table or plain globals, and cookbooks.lua may name a
    /// cookbook by `SOURCE@RANGE` alone.
    @Test func theManifestsOtherFormsReadTheSame() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let shapes = [("returned", "return { name = \"returned\", version = \"1.0.0\" }\n"),
                      ("named", "cookbook { name = \"named\", version = \"1.0.0\" }\n"),
                      ("globals", "name = \"globals\"\nversion = \"1.0.0\"\n")]
        var lines: [String] = []
        for (name, manifest) in shapes {
            let folder = h.scratch.appendingPathComponent("books/\(name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try manifest.write(to: folder.appendingPathComponent("cookbook.lua"), atomically: true, encoding: .utf8)
            try "return { shape = \"\(name)\" }\n".write(to: folder.appendingPathComponent("\(name).lua"), atomically: true, encoding: .utf8)
            lines.append("  \(name) = \"file:\(folder.path)@^1\",")
        }
        let team = h.scratch.appendingPathComponent("team")
        try FileManager.default.createDirectory(at: team, withIntermediateDirectories: true)
        try ("cookbooks {\n" + lines.joined(separator: "\n") + "\n}\n").write(to: team.appendingPathComponent("cookbooks.lua"), atomically: true, encoding: .utf8)
        let installed = try h.recipe(["cookbook", "install", "--dir", team.path], environment: Self.notCI)
        #expect(installed.code == 0 && ["returned", "named", "globals"].allSatisfy { installed.stdout.contains("\($0) 1.0.0") }, "\(installed.stdout)\(installed.stderr)")
        try "print(require(\"returned\").shape, require(\"named\").shape, require(\"globals\").shape)\n".write(to: team.appendingPathComponent("all.lua"), atomically: true, encoding: .utf8)
        let ran = try h.recipe(["run", team.appendingPathComponent("all.lua").path])
        #expect(ran.stdout.contains("returned\tnamed\tglobals"), "\(ran.stdout)\(ran.stderr)")
    }

    @Test func aBadManifestOrSourceSaysWhatIsWrong() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let folder = h.scratch.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let bad = try h.recipe(["cookbook", "add", "pg", "ftp://example.org/pg", "--dir", folder.path])
        #expect(bad.code != 0 && bad.stderr.contains("is not a cookbook source"), "\(bad.stderr)")
        let name = try h.recipe(["cookbook", "add", "Bad Name", "file:/tmp", "--dir", folder.path])
        #expect(name.code != 0 && name.stderr.contains("cookbook 'Bad Name' is not a valid name"), "\(name.stderr)")
        let none = try h.recipe(["cookbook", "install", "--dir", folder.path], environment: Self.notCI)
        #expect(none.code != 0 && none.stderr.contains("no cookbooks.lua"), "\(none.stderr)")
        let unversioned = folder.appendingPathComponent("local-pg")
        try FileManager.default.createDirectory(at: unversioned, withIntermediateDirectories: true)
        try "cookbook \"pg\" { version = \"one\" }\n".write(to: unversioned.appendingPathComponent("cookbook.lua"), atomically: true, encoding: .utf8)
        #expect(try h.recipe(["cookbook", "add", "pg", "file:\(unversioned.path)", "--dir", folder.path]).code == 0)
        let manifest = try h.recipe(["cookbook", "install", "--dir", folder.path], environment: Self.notCI)
        #expect(manifest.code != 0 && manifest.stderr.contains("version must be a semantic version"), "\(manifest.stderr)")
        // a lock whose entry would lead outside the cache is refused before anything is touched
        let lock = #"{"cookbooks": [{"name": "../../../etc", "version": "1.0.0", "source": "file:/tmp", "tag": "", "commit": "", "sha256": "\#(String(repeating: "a", count: 64))", "requiredBy": []}]}"#
        try lock.write(to: folder.appendingPathComponent("cookbooks.lock"), atomically: true, encoding: .utf8)
        try "print(1)\n".write(to: folder.appendingPathComponent("any.lua"), atomically: true, encoding: .utf8)
        let refusedLock = try h.recipe(["run", folder.appendingPathComponent("any.lua").path])
        #expect(refusedLock.code == 1 && refusedLock.stderr.contains("cookbooks.lock: cookbook '../../../etc' is not a valid name"), "\(refusedLock.stderr)")
    }
}
