import Foundation
import TestSupport
import Testing

/// Releases from a git repository: rolling, health-gated deploys, rollback and refusals.
@Suite struct DeployTests {
    /// A repository whose server answers its version and instance id; `commit` replaces the version.
    struct Repository {
        let path: URL

        init(in home: URL) throws {
            path = home.appendingPathComponent("repo")
            try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
            try git(["init", "-q", "-b", "main"])
        }

        func commit(_ version: String, server: String? = nil) throws {
            let source = server ?? """
                import http.server, os, sys
                print("serving \(version)", file=sys.stderr, flush=True)
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        body = ("\(version) " + os.environ["INSTANCE_ID"] + "\\n").encode()
                        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *a): pass
                http.server.ThreadingHTTPServer.allow_reuse_address = True
                http.server.ThreadingHTTPServer((os.environ["ADDRESS"], int(os.environ["PORT"])), H).serve_forever()
                """
            try source.write(to: path.appendingPathComponent("server.py"), atomically: true, encoding: .utf8)
            try git(["add", "."])
            try git(["-c", "user.email=test@example", "-c", "user.name=test", "commit", "-qm", version])
            try git(["tag", "-f", version])
        }

        func git(_ arguments: [String]) throws { try Self.git(arguments, in: path) }

        /// git in `path`, quiet; a failure is an error naming the arguments.
        static func git(_ arguments: [String], in path: URL) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = ["-C", path.path] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try Launch.run(process)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw HarnessError("git \(arguments) failed") }
        }
    }

    func answers(_ h: Harness) throws -> [String] { try h.answers("shop2") }

    @Test func deployRollbackAndRefusals() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let repo = try Repository(in: h.home)
        try repo.commit("v1")
        let recipe = try h.write("shop2.lua", """
            cluster "shop2" {
              apps = { shop = { source = "git+file:\(repo.path.path)", ref = "main", start = "python3 server.py",
                                port = 8000, health = "/", keep = 2, health_timeout = 5 } },
              layers = { web = { count = 2, apps = { "shop" } } },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        #expect(try Harness.eventually(timeout: 5) { try answers(h) == ["v1", "v1"] } != nil)

        try repo.commit("v2")
        let deployed = try h.recipe(["deploy", "shop2", "shop", "--batch", "50%"])
        #expect(deployed.code == 0, "\(deployed.stderr)")
        #expect(try answers(h) == ["v2", "v2"])

        let back = try h.recipe(["rollback", "shop2", "shop"])
        #expect(back.code == 0, "\(back.stderr)")
        #expect(try answers(h) == ["v1", "v1"])

        let unknown = try h.recipe(["deploy", "shop2", "shop", "--ref", "no-such-ref"])
        #expect(unknown.code == 1 && unknown.stderr.contains("ref 'no-such-ref' is not in"), "\(unknown.stderr)")
        #expect(try answers(h) == ["v1", "v1"])

        try repo.commit("v3", server: "import sys\nprint('boom: no database configured', file=sys.stderr)\nsys.exit(3)\n")
        let broken = try h.recipe(["deploy", "shop2", "shop"])
        #expect(broken.code == 1)
        #expect(broken.stderr.contains("web-1: app shop: GET / → ") && broken.stderr.contains("boom: no database configured"),
                "\(broken.stderr)")
        #expect(!broken.stderr.contains("serving v"), "only the failed release's own log lines: \(broken.stderr)")
        #expect(try answers(h) == ["v1", "v1"], "nothing half-switched")

        // keep = 2: after more deploys, two releases remain on each instance
        #expect(try h.recipe(["deploy", "shop2", "shop", "--ref", "v2"]).code == 0)
        #expect(try h.recipe(["deploy", "shop2", "shop", "--ref", "v1"]).code == 0)
        for instance in try h.status("shop2").instances {
            let releases = h.home.appendingPathComponent("local/instances/\(instance.id)/srv/apps/shop/releases")
            #expect(try FileManager.default.contentsOfDirectory(atPath: releases.path).count == 2)
        }
        #expect(try h.recipe(["releases", "shop2", "shop"]).stdout.contains("current"))

        // the same from Lua
        let fromLua = try h.write("deploy.lua", """
            local r = deploy{ cluster = "shop2", app = "shop", ref = "v2", batch = 2 }
            log.info("deployed %s to %d", r.sha:sub(1, 12), #r.instances)
            """)
        let luaRun = try h.recipe(["run", fromLua])
        #expect(luaRun.code == 0 && luaRun.stdout.contains("to 2"), "\(luaRun.stderr)")
        #expect(try answers(h) == ["v2", "v2"])
    }
}
