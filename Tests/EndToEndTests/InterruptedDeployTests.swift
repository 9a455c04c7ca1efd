import Foundation
import Testing

/// Issue 18, point 3: deploys are transactions. A `recipe deploy` or `recipe run` killed with
/// SIGKILL at three moments (after the first instance switched, while an instance is drained in a
/// real HAProxy, and after the last switch but before the release is recorded), and a deploy that
/// stops because an instance vanished: afterwards `plan`, `status` and `releases` name the mixed
/// fleet, and the next command leaves one release everywhere with no server drained.
///
/// The moments are chosen by pauses, not by timing: a hook sees a file the test made, marks that
/// it got there and waits until the file is gone; the test kills the command once the mark appears.
@Suite struct InterruptedDeployTests {
    struct Cluster {
        let h: Harness
        let recipe: String
        var pauses: URL { h.home.appendingPathComponent("pauses") }

        /// What web-1..3 answer on port 8000 (their version), by name.
        func versions() throws -> [String] {
            try h.status("mixed").instances.filter { $0.layer == "web" }.sorted { $0.name < $1.name }.map {
                Harness.get("http://\($0.private_ip):8000/")?.split(separator: " ").first.map(String.init) ?? "none"
            }
        }

        /// HAProxy's view of each web server (UP, DOWN, DRAIN, ...), from its runtime API.
        func balancer() throws -> [String: String] {
            let lb = try #require(try h.status("mixed").instances.first { $0.name == "lb-1" })
            let root = h.home.appendingPathComponent("local/instances/\(lb.id)").path
            let csv = try ReleaseSourceTests.shell("cd \(root) && echo 'show stat' | socat -t 2 stdio unix-connect:run/haproxy.sock")
            let lines = csv.split(separator: "\n").map(String.init)
            let header = (lines.first ?? "").dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard let status = header.firstIndex(of: "status") else { throw HarnessError("no status column in \(csv)") }
            var servers: [String: String] = [:]
            for line in lines.dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                if fields.count > status, fields[0] == "web", fields[1].hasPrefix("web-") { servers[fields[1]] = fields[status] }
            }
            return servers
        }

        /// Starts `recipe ARGS` with a pause at `moment`, kills it with SIGKILL once a hook reached
        /// the pause, then lets the paused hook command end.
        func kill(_ arguments: [String], at moment: String) throws {
            try FileManager.default.createDirectory(at: pauses, withIntermediateDirectories: true)
            let pause = pauses.appendingPathComponent(moment)
            _ = FileManager.default.createFile(atPath: pause.path, contents: nil)
            let process = try h.start(arguments, log: "killed.log")
            let reached = Harness.eventually(timeout: 90) {
                FileManager.default.fileExists(atPath: pause.path + ".reached") || !process.isRunning
            }
            let log = (try? String(contentsOf: h.home.appendingPathComponent("killed.log"), encoding: .utf8)) ?? ""
            #expect(reached != nil && process.isRunning, "the command never reached \(moment): \(log)")
            h.stop(process)  // SIGKILL
            try FileManager.default.removeItem(at: pause)
            try? FileManager.default.removeItem(atPath: pause.path + ".reached")
        }

        /// One release everywhere, every server in rotation, and nothing left to do.
        func expectSettled(_ version: String, declared ref: String, _ comment: Comment) throws {
            #expect(try versions() == [version, version, version], comment)
            let servers = try balancer()
            #expect(servers.count == 3 && !servers.values.contains("DRAIN") && !servers.values.contains("MAINT"),
                    "every server back in rotation: \(servers); \(comment)")
            let plan = try h.recipe(["plan", recipe, "ref=\(ref)"])
            #expect(plan.code == 0, "nothing left to do: \(plan.stdout)\(plan.stderr); \(comment)")
            let releases = try h.recipe(["releases", "mixed", "shop"]).stdout
            #expect(releases.contains("current  on web-1, web-2, web-3") && !releases.contains("unfinished"),
                    "\(releases); \(comment)")
        }
    }

    @Test func killedDeploysAreFinishedOrRolledBackByTheNextCommand() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let repo = try DeployTests.Repository(in: h.home)
        for version in ["v1", "v2", "v3"] { try repo.commit(version) }
        let pauses = h.home.appendingPathComponent("pauses").path
        let recipe = try h.write("mixed.lua", """
            local haproxy = require "haproxy"
            local hp = haproxy.hooks { listen = 8080, backend = "web", port = 8000, health = "/" }
            -- with PAUSES/NAME present, mark NAME.reached and wait until the test removes NAME
            local function pause(i, name)
              run(i, "p=\(pauses)/" .. name .. "; if [ -f $p ]; then touch $p.reached; while [ -f $p ]; do sleep 0.05; done; fi")
            end
            cluster "mixed" {
              apps = { shop = { source = "git+file:\(repo.path.path)", ref = arg.ref, start = "python3 server.py",
                                port = 8000, health = "/", health_timeout = 5 } },
              layers = {
                web = { count = 3, apps = { "shop" },
                        on = { deploy = function(e) pause(e.instance, "deploy-" .. e.instance.name) end } },
                lb = { count = 1, services = { haproxy = haproxy.service { listen = 8080 } },
                       on = { configure = hp.configure, ready = hp.ready,
                              drain = function(e) hp.drain(e); pause(e.instance, "drain-" .. e.target.name) end } },
              },
            }
            """)
        let c = Cluster(h: h, recipe: recipe)
        let first = try h.recipe(["run", recipe, "ref=v1"])
        #expect(first.code == 0, "\(first.stdout)\(first.stderr)")
        #expect(Harness.eventually(timeout: 10) { (try? c.balancer().values.allSatisfy { $0 == "UP" }) == true } != nil)

        // 1. `recipe deploy` killed once web-1 switched (in its deploy hook)
        try c.kill(["deploy", "mixed", "shop", "--ref", "v2"], at: "deploy-web-1")
        #expect(try c.versions() == ["v2", "v1", "v1"])
        let plan1 = try h.recipe(["plan", recipe, "ref=v1"])
        #expect(plan1.code == 2 && plan1.stdout.contains("~ app shop: finish deploy v2 (")
                && plan1.stdout.contains(") on web-2, web-3, or roll back web-1; recipe run rolls it back"), "\(plan1.stdout)")
        let status1 = try h.recipe(["status", "mixed"]).stdout
        #expect(status1.contains("! app shop: interrupted deploy, fleet mixed: finish deploy v2 ("), "\(status1)")
        let releases1 = try h.recipe(["releases", "mixed", "shop"]).stdout
        #expect(releases1.contains("unfinished  on web-1") && releases1.contains("current  on web-2, web-3"), "\(releases1)")
        // the same commit again: the deploy is finished, web-1 is not restarted
        let resumed = try h.recipe(["deploy", "mixed", "shop", "--ref", "v2"])
        #expect(resumed.code == 0 && (resumed.stdout + resumed.stderr).contains("finishing the interrupted deploy of v2"),
                "\(resumed.stdout)\(resumed.stderr)")
        try c.expectSettled("v2", declared: "v1", "after a deploy killed once web-1 switched")

        // 2. `recipe run` (a changed ref) killed while web-2 is drained
        try c.kill(["run", recipe, "ref=v3"], at: "drain-web-2")
        #expect(try c.versions() == ["v3", "v2", "v2"])
        #expect(try c.balancer()["web-2"] == "DRAIN", "the fault is real: HAProxy holds web-2 out")
        let plan2 = try h.recipe(["plan", recipe, "ref=v2"])
        #expect(plan2.code == 2 && plan2.stdout.contains("~ app shop: finish deploy v3 (")
                && plan2.stdout.contains(") on web-2, web-3, or roll back web-1; web-2 may be out of rotation; recipe run rolls it back"),
                "\(plan2.stdout)")
        // the declaration went back to v2: the interrupted deploy of v3 is rolled back
        let back = try h.recipe(["run", recipe, "ref=v2"])
        #expect(back.code == 0 && back.stdout.contains("rolling back the interrupted deploy of v3"), "\(back.stdout)\(back.stderr)")
        try c.expectSettled("v2", declared: "v2", "after a run killed while web-2 was drained")
        #expect(try h.recipe(["releases", "mixed", "shop"]).stdout.contains("  v3            "), "the rolled-back release stays in the history")
        #expect(try h.recipe(["releases", "mixed", "shop"]).stdout.contains("interrupted"))

        // 3. killed after the last switch, before the release is recorded as current
        try c.kill(["run", recipe, "ref=v3"], at: "deploy-web-3")
        #expect(try c.versions() == ["v3", "v3", "v3"])
        let releases3 = try h.recipe(["releases", "mixed", "shop"]).stdout
        #expect(releases3.contains("unfinished  on web-1, web-2, web-3"), "releases says what instances run: \(releases3)")
        let plan3 = try h.recipe(["plan", recipe, "ref=v3"])
        #expect(plan3.code == 2 && plan3.stdout.contains("every instance runs it, not yet recorded as current")
                && plan3.stdout.contains("recipe run finishes it"), "\(plan3.stdout)")
        let finished = try h.recipe(["run", recipe, "ref=v3"])
        #expect(finished.code == 0, "\(finished.stdout)\(finished.stderr)")
        try c.expectSettled("v3", declared: "v3", "after a run killed before the release was recorded")

        // 4. an instance vanishes midway: the deploy stops with one release serving on the others
        try FileManager.default.createDirectory(at: c.pauses, withIntermediateDirectories: true)
        let pause = c.pauses.appendingPathComponent("deploy-web-1")
        _ = FileManager.default.createFile(atPath: pause.path, contents: nil)
        let deploy = try h.start(["deploy", "mixed", "shop", "--ref", "v2"], log: "vanish.log")
        #expect(Harness.eventually(timeout: 90) { FileManager.default.fileExists(atPath: pause.path + ".reached") } != nil)
        let web2 = try #require(try h.status("mixed").instances.first { $0.name == "web-2" })
        Foundation.kill(try #require(web2.agent_pid), SIGKILL)
        try FileManager.default.removeItem(at: pause)
        #expect(Harness.eventually(timeout: 90) { !deploy.isRunning } != nil)
        deploy.waitUntilExit()
        let log = (try? String(contentsOf: h.home.appendingPathComponent("vanish.log"), encoding: .utf8)) ?? ""
        #expect(deploy.terminationStatus == 1 && log.contains("web-2:"), "\(log)")
        #expect(try c.versions() == ["v3", "none", "v3"], "one release serves on the instances that are left")
        let releases4 = try h.recipe(["releases", "mixed", "shop"]).stdout
        #expect(releases4.contains("current  on web-1, web-3") && releases4.contains("failed")
                && releases4.contains("web-2: could not be asked what it runs"), "\(releases4)")
        #expect(!(try c.balancer().values.contains("DRAIN")))
        // the next run replaces the lost instance with the release that serves
        let healed = try h.recipe(["run", recipe, "ref=v3"])
        #expect(healed.code == 0, "\(healed.stdout)\(healed.stderr)")
        try c.expectSettled("v3", declared: "v3", "after an instance vanished")

        // 5. `recipe rollback` after an interrupted deploy undoes that deploy: that is the step back
        try c.kill(["deploy", "mixed", "shop", "--ref", "v1"], at: "deploy-web-2")
        #expect(try c.versions() == ["v1", "v1", "v3"])
        let undone = try h.recipe(["rollback", "mixed", "shop"])
        #expect(undone.code == 0 && undone.stdout.contains("back on release") && undone.stdout.contains("(v3,"),
                "\(undone.stdout)\(undone.stderr)")
        try c.expectSettled("v3", declared: "v3", "after a rollback of an interrupted deploy")
        let events = try h.recipe(["events", "--cluster", "mixed", "--kind", "deploy.rolledback"]).stdout
        #expect(events.contains("interrupted deploy of") && events.contains("rolled back to"), "\(events)")
    }
}
