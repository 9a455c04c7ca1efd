import Foundation
import Testing

/// Issue 11, point 7: long work shows its steps as they happen, and a deploy whose health check
/// gets a wrong answer says what it got and fails at once.
@Suite struct ProgressTests {
    /// An app that answers / with its version, and /health with `health` (status and body).
    static func server(_ version: String, health: (Int, String)) -> String {
        """
        import http.server, os
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, text = (\(health.0), \(health.1.debugDescription)) if self.path == "/health" else (200, "\(version) up\\n")
                body = text.encode()
                self.send_response(status); self.send_header("Content-Length", str(len(body))); self.end_headers()
                self.wfile.write(body)
            def log_message(self, *a): pass
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        http.server.ThreadingHTTPServer((os.environ["ADDRESS"], int(os.environ["PORT"])), H).serve_forever()
        """
    }

    static func recipe(_ repo: URL, setup: Bool = false) -> String {
        """
        cluster "steps" {
          apps = { shop = { source = "git+file:\(repo.path)", ref = "main", start = "python3 server.py", port = 8000 } },
          layers = { web = { count = 2, apps = { "shop" }\(setup ? ", on = { setup = function(e) run(e.instance, \"true\") end }" : "") } },
        }
        """
    }

    @Test func point7_aDeployWhoseHealthCheckAnswers500FailsAtOnceSayingWhatItGot() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let repo = try DeployTests.Repository(in: h.home)
        try repo.commit("v1", server: Self.server("v1", health: (200, "ok\n")))
        #expect(try h.recipe(["run", try h.write("steps.lua", Self.recipe(repo.path))]).code == 0)

        try repo.commit("v2", server: Self.server("v2", health: (500, "database down\nTraceback: ...\n")))
        let start = Date()
        let deploy = try h.recipe(["deploy", "steps", "shop"])
        let took = Date().timeIntervalSince(start)
        #expect(deploy.code == 1)
        // the health timeout is 20 s: a wrong answer fails in about a second, restore included
        #expect(took < 10, "took \(took) s")
        let said = "web-1: app shop: GET /health → 500: database down"
        #expect(deploy.stdout.contains("steps: " + said), "printed as it happened: \(deploy.stdout)")
        #expect(deploy.stderr.contains(said) && !deploy.stderr.contains("Traceback"), "the reason: \(deploy.stderr)")
        #expect(deploy.stdout.contains("steps: web-1: app shop: back to release"), "\(deploy.stdout)")
        #expect(try h.answers("steps") == ["v1", "v1"], "nothing half-switched")
    }

    @Test func point7_aRunPipedToAFileShowsItsStepsInOrder() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let repo = try DeployTests.Repository(in: h.home)
        try repo.commit("v1", server: Self.server("v1", health: (200, "ok\n")))
        let run = try h.recipe(["run", try h.write("steps.lua", Self.recipe(repo.path, setup: true))])
        #expect(run.code == 0, "\(run.stderr)")
        let steps = [
            "steps: launching web-1, web-2", "steps: web-1: launched (", "steps: web-1: setup hook", "steps: web-1: online",
            "steps: app shop: main is ", "steps: web-1: app shop: unpacking ", "steps: web-1: app shop: starting ",
            "steps: web-1: app shop: health check GET /health on port 8000", "steps: web-1: app shop: in service",
            "steps: online web-1, web-2",
        ]
        Self.expectInOrder(steps, in: run.stdout)

        let destroy = try h.recipe(["destroy", "steps", "--yes"])
        #expect(destroy.code == 0, "\(destroy.stderr)")
        Self.expectInOrder(["steps: terminating web-1, web-2", "destroyed steps"], in: destroy.stdout)
    }

    /// Each of `steps` starts a line of `output`, in this order.
    static func expectInOrder(_ steps: [String], in output: String) {
        let lines = output.split(separator: "\n").map(String.init)
        var from = 0
        for step in steps {
            guard let index = lines[from...].firstIndex(where: { $0.hasPrefix(step) }) else {
                Issue.record("no line \"\(step)\" after line \(from) of:\n\(output)")
                return
            }
            from = index + 1
        }
    }
}
