import Foundation
import TestSupport
import Testing

/// Releases from archives (over HTTP and from files, checked against sha256), with a build step,
/// redeployed when the declaration changes, and taken off again with undeploy.
@Suite struct ReleaseSourceTests {
    /// The app: it answers what its build step wrote, and the instance id.
    static let server = """
        import http.server, os
        built = open("BUILT").read().strip()
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = (built + " " + os.environ["INSTANCE_ID"] + "\\n").encode()
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                self.wfile.write(body)
            def log_message(self, *a): pass
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        http.server.ThreadingHTTPServer((os.environ["ADDRESS"], int(os.environ["PORT"])), H).serve_forever()
        """

    /// Writes shop-VERSION/{server.py,VERSION} and packs it as VERSION.tar.gz (one top folder, as
    /// GitHub's archives have) and VERSION.zip (files at the top); returns the two SHA-256s.
    static func pack(_ version: String, into www: URL, scratch: URL) throws -> (tgz: String, zip: String) {
        let folder = scratch.appendingPathComponent("shop-\(version)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try server.write(to: folder.appendingPathComponent("server.py"), atomically: true, encoding: .utf8)
        try version.write(to: folder.appendingPathComponent("VERSION"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        try shell("tar -czf \(www.path)/\(version).tar.gz -C \(scratch.path) shop-\(version)")
        try shell("cd \(folder.path) && python3 -m zipfile -c \(www.path)/\(version).zip server.py VERSION")
        return (try shell("sha256sum \(www.path)/\(version).tar.gz | cut -c1-64"), try shell("sha256sum \(www.path)/\(version).zip | cut -c1-64"))
    }

    @discardableResult
    static func shell(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        try Launch.run(process)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError("\(command) failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func answers(_ h: Harness) throws -> [String] { try h.answers("arch") }

    @Test func archivesChecksumsBuildRedeployAndUndeploy() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let www = h.home.appendingPathComponent("www"), packing = h.home.appendingPathComponent("packing")
        let v1 = try Self.pack("v1", into: www, scratch: packing)
        let v2 = try Self.pack("v2", into: www, scratch: packing)
        let files = try FileServer(serving: www)
        defer { files.stop() }
        let recipe = try h.write("arch.lua", """
            cluster "arch" {
              apps = { shop = { source = arg.source, sha256 = arg.sha, build = "echo built-$(cat VERSION) > BUILT",
                                start = "python3 server.py", port = 8000, health = "/", health_timeout = 5 } },
              layers = { web = { count = 2, apps = { "shop" } } },
            }
            """)
        func run(_ source: String, _ sha: String) throws -> Harness.Output {
            try h.recipe(["run", recipe, "source=\(source)", "sha=\(sha)"])
        }

        // over HTTP, checked, built on each instance: the first release
        let first = try run(files.url("v1.tar.gz"), v1.tgz)
        #expect(first.code == 0, "\(first.stderr)")
        #expect(try answers(h) == ["built-v1", "built-v1"])

        // a declared sha256 that the archive does not have: refused before any instance is touched,
        // and tried again by the next run (the declaration is only recorded once deployed)
        let wrong = try run(files.url("v2.tar.gz"), v1.tgz)
        #expect(wrong.code == 1 && wrong.stdout.contains("~ app shop"), "\(wrong.stdout)")
        #expect(wrong.stderr.contains("has SHA-256 \(v2.tgz), not the declared \(v1.tgz)"), "\(wrong.stderr)")
        #expect(try answers(h) == ["built-v1", "built-v1"])
        #expect(try h.recipe(["plan", recipe, "source=\(files.url("v2.tar.gz"))", "sha=\(v1.tgz)"]).stdout.contains("~ app shop"))

        // a changed declaration rolls out: a zip from a file this time
        let zipped = try run("file:\(www.path)/v2.zip", v2.zip)
        #expect(zipped.code == 0, "\(zipped.stderr)")
        #expect(try answers(h) == ["built-v2", "built-v2"])
        #expect(try h.recipe(["plan", recipe, "source=file:\(www.path)/v2.zip", "sha=\(v2.zip)"]).code == 0, "nothing left to do")

        // what cannot be fetched is named, and nothing changes
        let missing = try run(files.url("v9.tar.gz"), v1.tgz)
        #expect(missing.code == 1 && missing.stderr.contains("answered HTTP 404"), "\(missing.stderr)")
        let unreachable = try run("http://127.0.0.1:9/v1.tar.gz", v1.tgz)
        #expect(unreachable.code == 1 && unreachable.stderr.contains("cannot download http://127.0.0.1:9/v1.tar.gz"), "\(unreachable.stderr)")
        let noRepository = try h.recipe(["run", recipe, "source=git+file:/nonexistent/shop.git"])
        #expect(noRepository.code == 1 && noRepository.stderr.contains("cannot fetch git+file:/nonexistent/shop.git"), "\(noRepository.stderr)")
        #expect(try answers(h) == ["built-v2", "built-v2"])

        // undeploy: stopped everywhere, releases gone; deploy brings it back
        let undeployed = try h.recipe(["undeploy", "arch", "shop"])
        #expect(undeployed.code == 0, "\(undeployed.stderr)")
        #expect(try Harness.eventually(timeout: 5) { try answers(h) == ["none", "none"] } != nil)
        for instance in try h.status("arch").instances {
            let releases = h.home.appendingPathComponent("local/instances/\(instance.id)/srv/apps/shop/releases")
            #expect(!FileManager.default.fileExists(atPath: releases.path))
        }
        #expect(!(try h.recipe(["releases", "arch", "shop"]).stdout.contains("current")))
        #expect(try h.recipe(["deploy", "arch", "shop"]).code == 0)
        #expect(try answers(h) == ["built-v2", "built-v2"])
    }

    @Test func aFailingBuildStopsTheDeployBeforeAnySwitch() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let app = h.home.appendingPathComponent("app")
        try FileManager.default.createDirectory(at: app, withIntermediateDirectories: true)
        try Self.server.write(to: app.appendingPathComponent("server.py"), atomically: true, encoding: .utf8)
        let recipe = try h.write("build.lua", """
            cluster "arch" {
              apps = { shop = { source = "file:\(app.path)", build = arg.build, start = "python3 server.py", port = 8000,
                                health = "/", health_timeout = 5 } },
              layers = { web = { count = 1, apps = { "shop" } } },
            }
            """)
        #expect(try h.recipe(["run", recipe, "build=echo good > BUILT"]).code == 0)
        #expect(try answers(h) == ["good"])
        let failed = try h.recipe(["run", recipe, "build=echo missing compiler >&2; exit 4"])
        #expect(failed.code == 1 && failed.stderr.contains("build (echo missing compiler >&2; exit 4) exited 4")
                && failed.stderr.contains("missing compiler"), "\(failed.stderr)")
        #expect(try answers(h) == ["good"])
    }
}
