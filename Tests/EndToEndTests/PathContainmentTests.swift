import Foundation
import Testing

/// Issue 18, point 6: paths stay inside. A link an instance made to a folder outside it does not
/// carry `write` or a mount point out; a mounted volume is still written through; a folder
/// written to as a file is said in plain words.
@Suite struct PathContainmentTests {
    @Test func point6_aSymlinkDoesNotCarryWritesOrMountsOutside() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let outside = h.home.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let recipe = try h.write("links.lua", """
            cluster "links" { layers = { web = { count = 1, volumes = { data = { size_gb = 1, mount = "/srv/data" } } } } }
            local i = cluster.get("links"):instances()[1]
            assert(run(i, "ln -s \(outside.path) lnk && mkdir -p etc").code == 0)
            write(i, "/srv/data/kept.txt", "on the volume")
            local ok, err = pcall(write, i, "/lnk/escaped.txt", "x")
            log.info("write: %s", tostring(err))
            local v = volume.create{ size_gb = 1 }
            local attached, why = pcall(function() v:attach(i, "/lnk/m") end)
            log.info("attach: %s", tostring(why))
            local folder, what = pcall(write, i, "/etc", "x")
            log.info("folder: %s", tostring(what))
            assert(not ok and not attached and not folder)
            """)
        let run = try h.recipe(["run", recipe])
        #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("write: ") && run.stdout.contains("'/lnk/escaped.txt' leads outside the instance: lnk is a link to"), "\(run.stdout)")
        #expect(run.stdout.contains("attach: ") && run.stdout.contains("mount point /lnk/m: '/lnk/m' leads outside the instance"), "\(run.stdout)")
        #expect(run.stdout.contains("folder: ") && run.stdout.contains("write /etc on web-1: it is a folder"), "\(run.stdout)")
        #expect(!run.stdout.contains("NSCocoaErrorDomain"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty, "nothing landed outside")
        let web = try #require(try h.status("links").instances.first)
        let kept = h.home.appendingPathComponent("local/instances/\(web.id)/srv/data/kept.txt")
        #expect((try? String(contentsOf: kept, encoding: .utf8)) == "on the volume", "a mounted volume is written through")
    }
}
