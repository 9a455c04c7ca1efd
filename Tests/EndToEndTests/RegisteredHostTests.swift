import Foundation
import Testing

/// Issue 14, point 3: a machine you already have, reached through a real OpenSSH server on a
/// loopback address of its own, joins a layer with `recipe register`, runs the layer's app through
/// its agent and the controller, and leaves nothing behind after `recipe destroy`.
@Suite(.serialized) struct RegisteredHostTests {
    /// An address of the test's own, so the app's port 8000 is nobody else's.
    static func loopbackAddress() -> String { "127.99.\(getpid() % 200 + 20).\(Int.random(in: 2...250))" }

    /// A home, a machine behind its own sshd, and `recipe serve` as its controller.
    struct Yard {
        let h: Harness
        let sshd: SSHServer
        let serve: Process

        init(_ folder: String) throws {
            h = try Harness()
            sshd = try SSHServer(folder: h.scratch.appendingPathComponent(folder), address: RegisteredHostTests.loopbackAddress())
            serve = try h.serve(["--listen", "127.0.0.1:0"])
            _ = try ControllerTests.apiURL(h)
        }

        /// The controller first, then what the home made (over the sshd), then the sshd.
        func stop() {
            h.stop(serve)
            h.cleanup()
            sshd.stop()
        }
    }

    @Test func aRegisteredHostBecomesWebOneRunsTheAppAndIsLeftClean() throws {
        let fixture = try Yard("host")
        defer { fixture.stop() }
        let (h, sshd) = (fixture.h, fixture.sshd)
        let recipe = try h.write("yard.lua", """
            cluster "yard" {
              provider = { kind = "hosts" },
              apps = { shop = { source = "file:\(Harness.repo.path)/Examples/webapp/app", start = "python3 server.py", port = 8000, health = "/health" } },
              layers = {
                web = { count = 0, apps = { "shop" }, heal = true, heartbeat = "2s",
                        on = { setup = function(e) write(e.instance, "/etc/yard.conf", "name=" .. e.instance.name .. "\\n") end } },
              },
            }
            """)
        let run = try h.recipe(["run", recipe])
        #expect(run.code == 0, "\(run.stderr)")

        // the wrong key: a clear error naming the host, and nothing set aside
        let refused = try h.recipe(["register", "yard", "web", sshd.url, "--identity", sshd.strangerIdentity.path])
        #expect(refused.code == 1 && refused.stderr.contains(sshd.url) && refused.stderr.contains("ssh could not connect or log in"), "\(refused)")
        #expect(try h.status("yard").instances.isEmpty)
        let wrongCluster = try h.recipe(["register", "nowhere", "web", sshd.url])
        #expect(wrongCluster.code == 1 && wrongCluster.stderr == "cluster nowhere is not known (recipe run its recipe first)\n", "\(wrongCluster)")
        let badURL = try h.recipe(["register", "yard", "web", "ssh://root@127.0.0.1:99999"])
        #expect(badURL.code == 1 && badURL.stderr.contains("the port is not a number from 1 to 65535"), "\(badURL)")

        let registered = try h.recipe(["register", "yard", "web", sshd.url, "--identity", sshd.identity.path], timeout: 180)
        #expect(registered.code == 0 && registered.stdout.hasSuffix("registered \(sshd.url) as web-1 (yard/web)\n"),
                "\(registered)\nagent log: \((try? String(contentsOf: sshd.root.appendingPathComponent("var/log/recipe-agent.log"), encoding: .utf8)) ?? "")")
        let yard = try h.status("yard")
        let web = try #require(yard.instances.first)
        #expect(yard.instances.count == 1 && web.name == "web-1" && web.state == "online" && web.private_ip == sshd.address, "\(yard.instances)")
        // its hook ran there, and its app answers on the host's address
        #expect((try? String(contentsOf: sshd.root.appendingPathComponent("etc/yard.conf"), encoding: .utf8)) == "name=web-1\n")
        let answered = Harness.eventually(timeout: 15) { Harness.get("http://\(sshd.address):8000/health") == "ok\n" }
        #expect(answered != nil, "the app did not answer on \(sshd.address):8000; \(sshd.leftovers())")
        #expect(Harness.get("http://\(sshd.address):8000/") == web.id + "\n")

        // the same host twice: refused, the first registration untouched
        let twice = try h.recipe(["register", "yard", "web", sshd.url, "--identity", sshd.identity.path])
        #expect(twice.code == 1 && twice.stderr.contains("already serves yard/web as web-1"), "\(twice)")

        // its agent killed: the registered host stays set aside for web, and the replacement runs there
        try sshd.killAgent()
        let healed = Harness.eventually(timeout: 40) {
            (try? h.status("yard").instances.contains { $0.id != web.id && $0.state == "online" && $0.private_ip == sshd.address }) == true
        }
        let events = try h.recipe(["events", "--cluster", "yard"]).stdout.suffix(1500)
        #expect(healed != nil, "not replaced on the registered host: \(events)")
        #expect(Harness.eventually(timeout: 15) { Harness.get("http://\(sshd.address):8000/health") == "ok\n" } != nil)

        let destroyed = try h.recipe(["destroy", "yard", "--yes"], timeout: 120)
        #expect(destroyed.code == 0, "\(destroyed)")
        #expect(Harness.eventually(timeout: 10) { Harness.get("http://\(sshd.address):8000/health", timeout: 1) == nil } != nil, "the app still answers")
        #expect(sshd.leftovers() == [], "left on the host: \(sshd.leftovers())")
        #expect(h.agentPIDs().isEmpty, "an agent is still running")
    }

    /// provider.hosts: a launch takes the pool's free host, a scale down gives it back clean, and
    /// a layer larger than its pool says which host it lacks without launching twice.
    @Test func thePoolsHostsServeTheLayerAndComeBackClean() throws {
        let fixture = try Yard("pool")
        defer { fixture.stop() }
        let (h, sshd) = (fixture.h, fixture.sshd)
        let recipe = try h.write("pool.lua", """
            cluster "pool" {
              provider = { kind = "hosts", hosts = { "\(sshd.url)" }, identity = "\(sshd.identity.path)" },
              layers = {
                web = { count = arg.web or 1, heal = true, heartbeat = "2s",
                        services = { echo = { command = "exec python3 -m http.server $PORT --bind $ADDRESS", port = 8081 } },
                        on = { setup = function(e)
                          local r = run(e.instance, "echo $LAYER on $ADDRESS")
                          if r.stdout ~= "web on \(sshd.address)\\n" then error("setup ran elsewhere: " .. r.stdout) end
                        end } },
              },
            }
            """)
        let run = try h.recipe(["run", recipe], timeout: 180)
        #expect(run.code == 0, "\(run)")
        #expect(try h.status("pool").instances.map { "\($0.name) \($0.state) \($0.private_ip)" } == ["web-1 online \(sshd.address)"])
        #expect(Harness.eventually(timeout: 15) { Harness.get("http://\(sshd.address):8081/") != nil } != nil, "the service does not answer")

        // the agent killed: silent for three of its 2 s heartbeats, the instance is failed and replaced on the freed host
        let first = try #require(try h.status("pool").instances.first)
        let killedAt = Date()
        try sshd.killAgent()
        let replaced = Harness.eventually(timeout: 40) {
            (try? h.status("pool").instances.contains { $0.id != first.id && $0.state == "online" }) == true
        }
        let events = try h.recipe(["events", "--cluster", "pool"]).stdout.suffix(1500)
        #expect(replaced != nil, "not replaced: \(events)")
        print("registered host: agent killed -> replacement online in \(String(format: "%.1f", Date().timeIntervalSince(killedAt))) s")

        let more = try h.recipe(["run", recipe, "web=2"], timeout: 120)
        #expect(more.code == 1 && more.stderr.contains("no free host for web-2 (1 in provider.hosts, all serving"), "\(more)")
        #expect(try h.status("pool").instances.map(\.name) == ["web-1"])

        let down = try h.recipe(["scale", "pool", "web", "0"], timeout: 120)
        #expect(down.code == 0, "\(down)")
        #expect(Harness.eventually(timeout: 10) { Harness.get("http://\(sshd.address):8081/", timeout: 1) == nil } != nil, "the service outlived its instance")
        #expect(sshd.leftovers() == [], "left on the host: \(sshd.leftovers())")
        // the host is free again: the next launch takes it
        let again = try h.recipe(["run", recipe], timeout: 180)
        let count = try h.status("pool").instances.count
        #expect(again.code == 0 && count == 1, "\(again)")

        // a host gone quiet (its sshd down) is forgotten at destroy all the same, and its agent,
        // refused at its next heartbeat, stops with its services
        sshd.stop()
        let gone = try h.recipe(["destroy", "pool", "--yes"], timeout: 120)
        #expect(gone.code == 0, "\(gone)")
        let ended = try h.recipe(["events", "--cluster", "pool", "--kind", "instance.terminated"]).stdout
        #expect(ended.split(separator: "\n").last?.contains("unreachable") == true, "\(ended)")
        #expect(Harness.eventually(timeout: 15) { h.agentPIDs().isEmpty } != nil, "the forgotten host's agent still runs")
        #expect(Harness.eventually(timeout: 5) { Harness.get("http://\(sshd.address):8081/", timeout: 1) == nil } != nil)
    }
}
