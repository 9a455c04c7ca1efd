import Foundation
import Store
import Testing

/// `recipe serve`: hooks on events and timers, durable across kill -9, refusals with file:line.
@Suite struct ServeTests {
    func runs(_ h: Harness, hook suffix: String) throws -> [HookRun] {
        try Store(home: h.home).hookRuns(limit: 100_000).filter { $0.hook.hasSuffix(suffix) }
    }

    @Test func timersFireEverySecondAndCatchUpOnceAfterADowntime() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("ticks.lua", """
            every("1s", function(e) log.info("tick due %.3f", e.due) end)
            """)
        var serve = try h.start(["serve", recipe])
        #expect(Harness.eventually(timeout: 10) { (try? runs(h, hook: "#every:1s#1").count) ?? 0 >= 1 } != nil)
        let first = try runs(h, hook: "#every:1s#1").count
        sleep(10)
        let fired = try runs(h, hook: "#every:1s#1").count - first
        #expect((9...11).contains(fired), "every(\"1s\") fired \(fired) times in 10 s")
        #expect(try runs(h, hook: "#every:1s#1").allSatisfy { $0.state == .ok })

        // down for 5 s: one catch-up run at start, not five
        h.stop(serve)
        let before = try runs(h, hook: "#every:1s#1").count
        sleep(5)
        serve = try h.start(["serve", recipe])
        #expect(Harness.eventually(timeout: 5) { (try? runs(h, hook: "#every:1s#1").count) ?? 0 > before } != nil)
        usleep(600_000)
        #expect(try runs(h, hook: "#every:1s#1").count - before == 1, "one catch-up run")
        h.stop(serve)
    }

    @Test func everyEventsHooksRunExactlyOnceAcrossAKill9() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let load = try PingLoad(h, cluster: "load")
        var serve = try h.serve([load.hooks])
        #expect(try h.recipe(["run", load.emitter]).code == 0)
        usleep(300_000)
        h.stop(serve)
        let done = try runs(h, hook: "#on:load.ping#1").filter { $0.state == .ok }.count
        #expect(done < 100, "the kill came with events still pending (\(done) done)")

        serve = try h.start(["serve", load.hooks])
        let store = try Store(home: h.home)
        let pings = try store.events(kind: "load.ping").compactMap(\.id)
        #expect(pings.count == 100)
        #expect(Harness.eventually(timeout: 20) {
            (try? runs(h, hook: "#on:load.ping#1").filter { $0.state == .ok }.count) ?? 0 >= 100
        } != nil)
        let all = try runs(h, hook: "#on:load.ping#1")
        for id in pings {
            #expect(all.filter { $0.eventID == id && $0.state == .ok }.count == 1, "event \(id) ran exactly once")
        }
        #expect(all.allSatisfy { $0.state == .ok || $0.state == .interrupted }, "\(Set(all.map(\.state.rawValue)))")
        h.stop(serve)
    }

    /// Batching (runs written, started and ended together) keeps exactly once at a high rate: a
    /// burst of 3,000 events for two hooks, a kill -9 in the middle of it, and after a restart
    /// each event's two hooks have ended ok once each.
    @Test func aBurstKilledMidwayStillRunsEachHookExactlyOnce() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let hooks = try h.write("burst.lua", """
            on("load.burst", function(e) end)
            on("load.*", function(e) end)
            """)
        var serve = try h.serve([hooks])
        let store = try Store(home: h.home)
        func ok() -> Int { (try? store.hookRuns(limit: 100_000).filter { $0.state == .ok }.count) ?? 0 }
        var killedAt: Int?
        for chunk in 0..<30 {
            for i in 0..<100 {
                try store.record(Event(actor: "test", cluster: "load", kind: "load.burst", subject: nil, detail: "\(chunk * 100 + i)"))
            }
            if killedAt == nil, ok() >= 600 {
                h.stop(serve)
                killedAt = ok()
            }
        }
        if killedAt == nil {
            h.stop(serve)
            killedAt = ok()
        }
        #expect((1..<6000).contains(killedAt!), "the kill came in the middle of the burst (\(killedAt!) runs ok)")

        serve = try h.start(["serve", hooks])
        #expect(Harness.eventually(timeout: 30) { ok() >= 6000 } != nil, "\(ok()) of 6000 runs ok")
        let bursts = try store.events(kind: "load.burst").compactMap(\.id)
        #expect(bursts.count == 3000)
        let all = try store.hookRuns(limit: 100_000)
        for suffix in ["#on:load.burst#1", "#on:load.*#1"] {
            var ended: [Int64: Int] = [:]
            for run in all where run.hook.hasSuffix(suffix) && run.state == .ok { ended[run.eventID ?? 0, default: 0] += 1 }
            let twice = bursts.filter { ended[$0] != 1 }
            #expect(twice.isEmpty, "\(suffix): \(twice.count) events did not run exactly once, e.g. \(twice.prefix(3).map { "\($0): \(ended[$0] ?? 0)" })")
        }
        #expect(all.allSatisfy { $0.state == .ok || $0.state == .interrupted }, "\(Set(all.map(\.state.rawValue)))")
        h.stop(serve)
    }

    @Test func badRegistrationsAreRefusedWithTheirLineAndTheSchedulerGoesOn() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua"]).code == 0)
        let refusals: [(String, String)] = [
            ("at(\"0 3 * * * *\", function() end)", "bad1.lua:2: at: cron '0 3 * * * *' has 6 fields; 5 are expected"),
            ("every(\"0s\", function() end)", "bad2.lua:2: every: '0s' is not a duration above zero"),
            ("when{ cluster = \"shop\", layer = \"wbe\", metric = \"cpu\", above = 70 }(function() end)",
             "bad3.lua:2: when: cluster shop has no layer 'wbe' (layers: lb, web)"),
            ("cluster \"bk\" { layers = { db = { count = 0 } }, backups = { nope = { every = \"1h\" } } }",
             "bad4.lua:2: cluster bk: backups names layer 'nope', which it does not declare"),
            ("every(\"1m\", function() end, { retry = { times = -1 } })", "bad5.lua:2: every: retry.times must be a count from 0 to 100"),
        ]
        for (index, (line, message)) in refusals.enumerated() {
            let path = try h.write("bad\(index + 1).lua", "-- refused at registration\n\(line)\n")
            let out = try h.recipe(["run", path])
            #expect(out.code == 1 && out.stderr.contains(message), "\(out.stderr)")
        }

        // the scheduler hosts a good recipe; a broken edit is refused and the old version serves on
        let recipe = try h.write("sched.lua", """
            on("probe.hit", function(e) log.info("hit %s", e.detail) end)
            on("probe.hang", function() while true do end end, { budget = "1s" })
            """)
        let serve = try h.serve([recipe])
        _ = try h.write("sched.lua", """
            on("probe.hit", function(e) log.info("hit %s", e.detail) end)
            at("61 * * * *", function() end)
            """)
        #expect(Harness.eventually(timeout: 10) {
            (try? h.recipe(["events", "--kind", "serve.load_failed"]).stdout.contains("sched.lua:2: at: cron '61 * * * *': minute '61' is outside 0-59")) == true
        } != nil)

        // a hook that never returns is stopped at its budget and recorded; the others still run
        #expect(try h.recipe(["emit", "shop", "probe.hang"]).code == 0)
        #expect(try h.recipe(["emit", "shop", "probe.hit", "--detail", "after"]).code == 0)
        #expect(Harness.eventually(timeout: 10) { (try? runs(h, hook: "#on:probe.hit#1").contains { $0.state == .ok }) == true } != nil)
        #expect(try h.recipe(["events", "--kind", "hook.log"]).stdout.contains("[info] hit after"), "hook output is in the event log")
        #expect(Harness.eventually(timeout: 10) { (try? runs(h, hook: "#on:probe.hang#1").first?.state) == .failed } != nil)
        let hang = try #require(try runs(h, hook: "#on:probe.hang#1").first)
        #expect(hang.error?.contains("time limit") == true && (hang.duration ?? 0) < 3, "\(hang)")
        #expect(try h.recipe(["events", "--kind", "hook.failed"]).stdout.contains("probe.hang"))
        h.stop(serve)
    }

    @Test func alertsArePostedToTheWebhookWithRetries() throws {
        let h = try Harness()
        defer { h.cleanup() }
        // a webhook that fails its first request, then records what it is sent
        let received = h.home.appendingPathComponent("received.jsonl")
        let receiver = try FileServer(script: """
            import http.server, sys
            calls = [0]
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    calls[0] += 1
                    if calls[0] > 1:
                        with open(sys.argv[1], "ab") as f: f.write(body + b"\\n")
                    self.send_response(500 if calls[0] == 1 else 204); self.end_headers()
                def log_message(self, *a): pass
            s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """, argument: received.path)
        defer { receiver.stop() }
        let recipe = try h.write("alerts.lua", """
            alert{ on = { "app.down" }, webhook = "\(receiver.url("hook?token=s3cret"))", retry = { times = 3, backoff = "200ms" } }
            """)
        // recipe emit names a cluster that exists
        #expect(try h.recipe(["run", try h.write("shop.lua", "cluster \"shop\" { layers = { web = { count = 0 } } }\n")]).code == 0)
        let serve = try h.serve([recipe])
        #expect(try h.recipe(["emit", "shop", "app.down", "--subject", "web-2", "--detail", "502 from the balancer"]).code == 0)
        #expect(Harness.eventually(timeout: 10) { (try? String(contentsOf: received, encoding: .utf8))?.contains("app.down") == true } != nil)
        let body = try String(contentsOf: received, encoding: .utf8)
        #expect(body.contains("\"subject\":\"web-2\"") && body.contains("502 from the balancer"), "\(body)")
        // alert.sent is recorded once the webhook has answered, a moment after it wrote what it got
        var events = ""
        let seen = Harness.eventually(timeout: 5) {
            events = (try? h.recipe(["events"])).map { $0.stdout + $0.stderr } ?? ""
            return events.contains("alert.failed") && events.contains("alert.sent")
        }
        #expect(seen != nil, "the first try failed, the retry went through: \(events)")
        let log = try String(contentsOf: h.home.appendingPathComponent("serve.log"), encoding: .utf8)
        #expect(!events.contains("s3cret") && !log.contains("s3cret"), "the webhook's token never reaches events or output")
        h.stop(serve)
    }
}
