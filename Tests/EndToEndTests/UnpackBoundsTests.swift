import Foundation
import Testing

/// Issue 18, point 2 (releases): unpacking is bounded. An archive is refused by adding up its
/// entries' sizes before anything is written (against `max_size`, 1 GB by default, and the free
/// space), so a tar.gz of 300 MB of zeros (about 300 KB) never fills the disk, and the release
/// that serves keeps answering. A zip with a link is refused with a plain line naming the entry.
@Suite struct UnpackBoundsTests {
    /// Writes an archive holding `shop/zeros` of `bytes` zero bytes (streamed: no big file is ever on disk).
    static func zeros(_ path: String, bytes: Int, zip: Bool = false, level: Int = 9) throws {
        let script = zip ? """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z, z.open("shop/zeros", "w", force_zip64=True) as f:
                left = int(sys.argv[2])
                while left > 0:
                    n = min(left, 1 << 20); f.write(bytes(n)); left -= n
            """ : """
            import sys, tarfile
            class Zeros:
                def read(self, n=-1): return bytes(n if n > 0 else 1 << 20)
            info = tarfile.TarInfo("shop/zeros"); info.size = int(sys.argv[2])
            with tarfile.open(sys.argv[1], "w:gz", compresslevel=int(sys.argv[3])) as t:
                t.addfile(info, Zeros())
            """
        let file = path + ".py"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        try ReleaseSourceTests.shell("python3 \(file) \(path) \(bytes) \(level)")
    }

    /// Bytes under `folder`.
    static func used(_ folder: URL) throws -> Int {
        Int(try ReleaseSourceTests.shell("du -sk \(folder.path) | cut -f1"))! * 1024
    }

    @Test func archivesThatWouldFillTheDiskAreRefusedAndTheOldReleaseServes() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let www = h.home.appendingPathComponent("www")
        _ = try ReleaseSourceTests.pack("v1", into: www, scratch: h.home.appendingPathComponent("packing"))
        let recipe = try h.write("bounded.lua", """
            cluster "arch" {
              apps = { shop = { source = arg.source, max_size = arg.max, build = "echo built-$(cat VERSION) > BUILT",
                                start = "python3 server.py", port = 8000, health = "/", health_timeout = 5 } },
              layers = { web = { count = 1, apps = { "shop" } } },
            }
            """)
        let first = try h.recipe(["run", recipe, "source=file:\(www.path)/v1.tar.gz", "max=100MB"])
        #expect(first.code == 0, "\(first.stderr)")
        #expect(try h.answers("arch") == ["built-v1"])
        let before = try Self.used(h.home)

        // 300 MB of zeros in a tar.gz of a few hundred KB, over the declared max_size
        let bomb = www.appendingPathComponent("zeros.tar.gz").path
        try Self.zeros(bomb, bytes: 300 << 20)
        let bombSize = try FileManager.default.attributesOfItem(atPath: bomb)[.size] as? Int ?? 0
        #expect(bombSize < 400 << 10, "a small archive: \(bombSize) bytes")
        let refused = try h.recipe(["run", recipe, "source=file:\(bomb)", "max=100MB"])
        #expect(refused.code == 1 && refused.stderr.contains("cannot unpack \(bomb)")
                && refused.stderr.contains("it unpacks to 300.0 MB, more than max_size (100.0 MB); nothing was deployed"),
                "\(refused.stderr)")
        #expect(try h.answers("arch") == ["built-v1"], "the old release keeps answering")
        #expect(try Self.used(h.home) - before < 20 << 20, "nothing was unpacked")

        // the same in a zip
        let zipBomb = www.appendingPathComponent("zeros.zip").path
        try Self.zeros(zipBomb, bytes: 300 << 20, zip: true)
        let zipRefused = try h.recipe(["run", recipe, "source=file:\(zipBomb)", "max=100MB"])
        #expect(zipRefused.code == 1 && zipRefused.stderr.contains("it unpacks to 300.0 MB, more than max_size (100.0 MB)"),
                "\(zipRefused.stderr)")
        #expect(try h.answers("arch") == ["built-v1"])

        // without max_size, the default (1 GB) bounds it
        let big = www.appendingPathComponent("big.tar.gz").path
        try Self.zeros(big, bytes: 1_200 << 20, level: 1)
        let defaulted = try h.recipe(["run", recipe, "source=file:\(big)"])
        #expect(defaulted.code == 1 && defaulted.stderr.contains("it unpacks to 1.2 GB, more than max_size (1.0 GB)"), "\(defaulted.stderr)")
        #expect(try h.answers("arch") == ["built-v1"])
        #expect(try Self.used(h.home) - before < 20 << 20, "nothing was unpacked")

        // within max_size, but more than the disk has free: the free space is checked first. The
        // command runs in a private mount namespace whose release cache is a 100 MB tmpfs.
        let fits = www.appendingPathComponent("fits.tar.gz").path
        try Self.zeros(fits, bytes: 80 << 20)
        let archives = h.home.appendingPathComponent("cache/archives").path
        try FileManager.default.createDirectory(atPath: archives, withIntermediateDirectories: true)
        let full = try ReleaseSourceTests.shell(
            "RECIPE_HOME=\(h.home.path) unshare -m sh -c 'mount -t tmpfs -o size=100m tmpfs \(archives) && "
            + "cd \(Harness.repo.path) && \(Harness.binary.path) run \(recipe) source=file:\(fits)' 2>&1; echo \"exit $?\"")
        #expect(full.hasSuffix("exit 1") && full.contains("it unpacks to 80.0 MB and needs 224.0 MB free; 100.0 MB is free"), "\(full)")
        #expect(try h.answers("arch") == ["built-v1"])

        // a zip holding a symbolic link: one plain line naming the archive and the entry, no traceback
        let linked = www.appendingPathComponent("linked.zip").path
        try "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\nz.writestr('server.py', 'print(1)')\n"
            .appending("i = zipfile.ZipInfo('lnk'); i.external_attr = 0o120777 << 16\nz.writestr(i, '/etc')\nz.close()\n")
            .write(toFile: linked + ".py", atomically: true, encoding: .utf8)
        try ReleaseSourceTests.shell("python3 \(linked).py \(linked)")
        let link = try h.recipe(["run", recipe, "source=file:\(linked)"])
        #expect(link.code == 1 && link.stderr.contains("app shop: cannot unpack \(linked)")
                && link.stderr.contains("entry 'lnk' is a symbolic link") && !link.stderr.contains("Traceback"), "\(link.stderr)")
        #expect(try h.answers("arch") == ["built-v1"])

        // something that is no archive: named, no traceback
        let garbage = www.appendingPathComponent("garbage.tar.gz").path
        try "not an archive\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let unreadable = try h.recipe(["run", recipe, "source=file:\(garbage)"])
        #expect(unreadable.code == 1 && unreadable.stderr.contains("cannot unpack \(garbage) (tar.gz, tar or zip expected): not a readable archive")
                && !unreadable.stderr.contains("Traceback"), "\(unreadable.stderr)")

        // a bad max_size names its field
        let wrong = try h.recipe(["run", recipe, "source=file:\(www.path)/v1.tar.gz", "max=lots"])
        #expect(wrong.code == 1 && wrong.stderr.contains("max_size must be a size such as \"500MB\""), "\(wrong.stderr)")
    }
}
