import Foundation
import TestSupport
import Testing

/// Issue 14's restart case for a deploy: `recipe serve` killed while a rolling deploy's commands run
/// on EC2 agents, and started again on the same address. The deploy (which waits on the Store, not
/// on the controller) finishes or rolls back, and each command ran exactly once: every deploy hook
/// the event log records left one line on its machine, and no more.
extension AgentLinkTests {
    @Test func aControllerKilledMidDeployLeavesEveryCommandRunOnce() async throws {
        let address = "127.0.0.1:\(try FreePort.find())"
        let fleet = try await Fleet(listen: address)
        defer { fleet.stop() }
        let (moto, h, machines) = (fleet.moto, fleet.h, fleet.machines)
        let subnet = try machines.loopbackSubnet()
        let repo = try DeployTests.Repository(in: h.scratch)
        try repo.commit("v1")
        let recipe = try h.write("relay.lua", """
            cluster "relay" {
              provider = { kind = "ec2", subnet = "\(subnet)" },
              apps = { shop = { source = "git+file:\(repo.path.path)", ref = "v1", start = "python3 server.py", port = 8000, health = "/" } },
              layers = { web = { count = 2, image = "ami-12c6146b", apps = { "shop" }, heal = true, heartbeat = "2s",
                on = { deploy = function(e)
                  local r = run(e.instance, "echo " .. tostring(e.reason) .. " >> hooks-started; sleep 3; echo deployed >> deploys.txt")
                  if r.code ~= 0 then error("deploy hook: " .. r.stderr) end
                end } } },
            }
            """)
        let run = try h.recipe(["run", recipe], timeout: 240, environment: moto.environment)
        #expect(run.code == 0, "\(run.stdout)\n\(run.stderr)")
        let web = try h.status("relay", environment: moto.environment).instances.sorted { $0.name < $1.name }
        #expect(web.count == 2)

        try repo.commit("v2")
        let deploy = try h.start(["deploy", "relay", "shop", "--ref", "v2"], log: "deploy.log", environment: moto.environment)
        defer { h.stop(deploy) }
        // the first instance's deploy hook runs on its machine: the controller goes, for longer than a heartbeat window
        let started = machines.root(of: web[0].id).appendingPathComponent("hooks-started")
        let before = (try? String(contentsOf: started, encoding: .utf8)) ?? ""
        let handed = Harness.eventually(timeout: 60) { ((try? String(contentsOf: started, encoding: .utf8)) ?? "") != before }
        #expect(handed != nil, "web-1's deploy hook started: \(h.logText("deploy.log"))")
        h.stop(fleet.serve)
        sleep(8)  // longer than three heartbeats (6 s), shorter than a hook may take (10 s): nobody could hear them, so nobody is silent
        let again = try h.start(["serve", "--listen", address], log: "serve2.log", environment: moto.environment)
        defer { h.stop(again) }
        let ended = Harness.eventually(timeout: 120) { !deploy.isRunning }
        #expect(ended != nil, "the deploy ended: \(h.logText("deploy.log"))")

        // finished (v2 everywhere) or rolled back (v1 everywhere): never a mixed fleet
        let events = try h.recipe(["events", "--cluster", "relay"]).stdout
        let versions = try h.answers("relay", environment: moto.environment)
        let after = try h.status("relay", environment: moto.environment).instances.map(\.id).sorted()
        #expect(after == web.map(\.id).sorted(), "the controller back replaced no instance whose agent it had not heard yet")
        let rolledBack = events.contains("deploy.rolledback")
        #expect(versions == (rolledBack ? ["v1", "v1"] : ["v2", "v2"]), "\(versions)\n\(h.logText("deploy.log"))\n\(events)")
        #expect(deploy.terminationStatus == 0 || rolledBack, "a deploy that did not roll back finished cleanly: \(h.logText("deploy.log"))")
        // each deploy hook the log records ran once on its machine: one line each, none twice
        let hooks = try h.recipe(["events", "--cluster", "relay", "--kind", "hook.deploy"]).stdout.split(separator: "\n")
        var tally: [String] = []
        for instance in web {
            let recorded = hooks.filter { $0.contains(" \(instance.name)") }.count
            let lines = (try? String(contentsOf: machines.root(of: instance.id).appendingPathComponent("deploys.txt"), encoding: .utf8))?
                .split(separator: "\n").count ?? 0
            tally.append("\(instance.name) \(recorded) recorded, \(lines) ran")
            #expect(recorded >= 1 && lines == recorded, "\(instance.name): \(recorded) deploy hooks recorded, \(lines) ran\n\(events)")
        }
        print("ec2 deploy with the controller killed mid-command: \(rolledBack ? "rolled back" : "finished"); deploy hooks: \(tally.joined(separator: ", "))")
        #expect(machines.agentLog(web[0].id).contains("the controller does not answer"), "\(machines.agentLog(web[0].id))")
    }
}
