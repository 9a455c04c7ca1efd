import EC2
import Foundation
import PostgresState
import Store
import TestSupport
import Testing

/// Issue 14, points 1 and 2, on moto: instances launched while `recipe serve` answers agents boot
/// their agent from their user data (MotoMachines runs it as cloud-init would, each machine in a
/// folder of its own), and setup hooks' `run` and `write` then work on EC2 instances. An agent's
/// token speaks for its own instance only; forged, spent or foreign credentials change nothing.
/// One test at a time: each has a moto_server, a controller and agents of its own, and five of them
/// at once beside the other moto suites slowed the whole end-to-end run by a third.
@Suite(.serialized) struct AgentLinkTests {
    /// moto, a home, the machines behind moto, and `recipe serve` as their controller.
    struct Fleet {
        let moto: MotoServer
        let h: Harness
        let machines: MotoMachines
        let serve: Process
        /// With `postgres:`, the state's own server: every command gets it in RECIPE_DATABASE_URL.
        let postgres: PostgresServer?
        /// What every command of this fleet runs with: moto's endpoint and keys, and the database.
        let environment: [String: String]

        /// `tls`: the controller serves a self-signed certificate for 127.0.0.1 (`certificate`).
        /// `postgres`: the state is on a PostgreSQL of the fleet's own, not the home's SQLite.
        init(listen: String = "127.0.0.1:0", tls: Bool = false, postgres: Bool = false) async throws {
            moto = try await MotoServer()
            self.postgres = postgres ? try PostgresServer() : nil
            environment = moto.environment.merging(self.postgres.map { ["RECIPE_DATABASE_URL": $0.url] } ?? [:]) { $1 }
            h = try Harness()
            h.cleanupEnvironment = environment
            machines = try MotoMachines(moto: moto, folder: h.scratch.appendingPathComponent("machines"))
            var arguments = ["--listen", listen]
            if tls {
                let (key, certificate) = (h.scratch.appendingPathComponent("tls.key").path, h.scratch.appendingPathComponent("tls.pem").path)
                let made = try h.sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout \(key) -out \(certificate) -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null")
                guard made == 0 else { throw HarnessError("openssl made no certificate") }
                arguments += ["--tls-cert", certificate, "--tls-key", key]
            }
            serve = try h.serve(arguments, environment: environment)
        }

        var certificate: URL { h.scratch.appendingPathComponent("tls.pem") }

        /// The fleet's state, as its controllers see it; `close` it when done (on PostgreSQL it
        /// holds connections).
        func store() throws -> (store: Store, close: @Sendable () -> Void) {
            guard let postgres else { return (try Store(home: h.home), {}) }
            let database = try PostgresStateDatabase(url: try DatabaseURL(postgres.url), connections: 2)
            return (try Store(home: h.home, shared: database), { database.close() })
        }

        /// The controller and the machines first, then what the home made, then moto and the database.
        func stop() {
            h.stop(serve)
            machines.stop()
            h.cleanup()
            moto.stop()
            postgres?.stop()
        }
    }

    @Test func ec2InstancesBootTheirAgentAndRunTheirHooksThroughTheController() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let (moto, h, machines) = (fleet.moto, fleet.h, fleet.machines)
        let url = try ControllerTests.apiURL(h)

        let recipe = try h.write("fleet.lua", """
            cluster "fleet" {
              provider = "ec2",
              layers = {
                web = { count = 2, image = "ami-12c6146b",
                        on = { setup = function(e)
                          local r = run(e.instance, "echo set up on $INSTANCE_ID > setup.txt && cat setup.txt")
                          if r.code ~= 0 then error("setup: " .. r.stderr) end
                          write(e.instance, "/etc/motd", "hello from " .. e.instance.name .. "\\n")
                        end } },
              },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(run.code == 0, "\(run.stdout)\n\(run.stderr)\nagents: \(machines.bootedInstances.map { machines.agentLog($0) }) \(machines.watcherLog)")
        let instances = try await EC2Provider(config: moto.config()).describe(cluster: "fleet").instances.sorted { $0.name < $1.name }
        #expect(instances.count == 2)
        for instance in instances {
            let root = machines.root(of: instance.id)
            let setup = try? String(contentsOf: root.appendingPathComponent("setup.txt"), encoding: .utf8)
            #expect(setup == "set up on \(instance.id)\n", "each agent runs its own instance's commands, in its root")
            let motd = try? String(contentsOf: root.appendingPathComponent("etc/motd"), encoding: .utf8)
            #expect(motd == "hello from \(instance.name)\n")
        }
        let registered = try h.recipe(["events", "--cluster", "fleet", "--kind", "agent.registered", "--json"]).stdout
        for instance in instances { #expect(registered.contains("agent:\(instance.id)")) }

        // an agent's token speaks for its own instance, on the agents' routes only
        let (a, b) = (instances[0].id, instances[1].id)
        let tokenA = try String(contentsOf: machines.root(of: a).appendingPathComponent("var/lib/recipe-agent/token"), encoding: .utf8)
        let beat = #"{"cpu_percent": 1, "memory_bytes": 1, "memory_percent": 1, "load": 0}"#
        #expect(try Curl.request("POST", url + "/agent/v1/heartbeat", token: "rca_forged", json: beat).status == 401)
        #expect(try Curl.request("GET", url + "/api/v1/clusters/fleet", token: tokenA).status == 403, "an agent reaches no API verb")
        #expect(try h.recipe(["user", "add", "root", "--admin"]).code == 0)
        let admin = try h.recipe(["token", "create", "root"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Curl.request("POST", url + "/agent/v1/heartbeat", token: admin, json: beat).status == 403, "a person's token is no agent's")
        let userData = try String(contentsOf: machines.root(of: a).appendingPathComponent("user-data"), encoding: .utf8)
        let secret = try #require(userData.firstMatch(of: /rcb_[A-Za-z0-9_-]+/)).output
        let replay = try Curl.request("POST", url + "/agent/v1/register", json: #"{"instance": "\#(a)", "bootstrap": "\#(secret)"}"#)
        #expect(replay.status == 401 && replay.body.contains("used already"), "a bootstrap secret opens one token, once: \(replay.body)")

        // a command queued for b is not a's to take or to answer; b's agent runs it
        let store = try Store(home: h.home)
        let id = try store.enqueueCommand(instance: b, command: "echo only b", timeout: 30)
        let forged = try Curl.request("POST", url + "/agent/v1/commands/\(id)", token: tokenA, json: #"{"code": 0, "stdout": "forged", "stderr": "", "stopped": false}"#)
        #expect(forged.status == 404)
        let done = Harness.eventually(timeout: 20) { (try? store.command(id))?.state == .done }
        let ran = try store.command(id)
        #expect(done != nil && ran?.stdout == "only b\n", "b's agent ran it, and a's answer changed nothing")

        // destroyed, the instances' tokens open nothing and their agents stop
        let pids = instances.compactMap { machines.agentPID($0.id) }
        #expect(pids.count == 2)
        #expect(try h.recipe(["destroy", "fleet", "--yes"], environment: moto.environment).code == 0)
        #expect(try Curl.request("POST", url + "/agent/v1/heartbeat", token: tokenA, json: beat).status == 401)
        let retired = Harness.eventually(timeout: 20) { pids.allSatisfy { !Harness.isAlive($0) } }
        #expect(retired != nil, "the agents of terminated instances stop by themselves")
    }

    /// A controller on TLS with a certificate no CA signed: the user data carries it (not its key),
    /// and the agent fetches itself, registers and runs commands trusting that certificate.
    @Test func agentsTrustTheirControllersOwnCertificate() async throws {
        let fleet = try await Fleet(tls: true)
        defer { fleet.stop() }
        let (moto, h, machines) = (fleet.moto, fleet.h, fleet.machines)
        #expect(try ControllerTests.apiURL(h).hasPrefix("https://127.0.0.1:"))
        let recipe = try h.write("sealed.lua", """
            cluster "sealed" {
              provider = "ec2",
              layers = { web = { count = 1, image = "ami-12c6146b",
                                 on = { setup = function(e) run(e.instance, "echo over tls > setup.txt") end } } },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(run.code == 0, "\(run.stdout)\n\(run.stderr)\nagents: \(machines.bootedInstances.map(machines.agentLog))")
        let id = try #require(machines.bootedInstances.first)
        let setup = try? String(contentsOf: machines.root(of: id).appendingPathComponent("setup.txt"), encoding: .utf8)
        #expect(setup == "over tls\n")
        let userData = try String(contentsOf: machines.root(of: id).appendingPathComponent("user-data"), encoding: .utf8)
        #expect(userData.contains("BEGIN CERTIFICATE") && !userData.contains("PRIVATE KEY"), "the certificate, never its key")
        let kept = try String(contentsOf: machines.root(of: id).appendingPathComponent("var/lib/recipe-agent/controller.pem"), encoding: .utf8)
        #expect(kept == (try String(contentsOf: fleet.certificate, encoding: .utf8)))
    }

    @Test func anEC2CommandWithoutAControllerSaysSo() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        let recipe = try h.write("lonely.lua", """
            cluster "lonely" {
              provider = "ec2",
              layers = { web = { count = 1, image = "ami-12c6146b", on = { setup = function(e) run(e.instance, "true") end } } },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(run.code != 0)
        #expect(run.stderr.contains("layer web: nothing launched: EC2 instances run hooks, services and apps through their agents, and no recipe serve answered agents"), "\(run.stdout)\n\(run.stderr)")
        let left = try await EC2Provider(config: moto.config()).describe(cluster: "lonely")
        #expect(left.instances.isEmpty, "nothing was launched")
    }

    /// Point 5: an EC2 instance whose agent misses three heartbeats is `instance.failed`, and a
    /// heal layer's replacement boots its own agent and runs its setup.
    @Test func aKilledAgentIsFoundSilentAndItsInstanceReplaced() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let (moto, h, machines) = (fleet.moto, fleet.h, fleet.machines)
        let recipe = try h.write("mended.lua", """
            cluster "mended" {
              provider = "ec2",
              layers = { web = { count = 1, image = "ami-12c6146b", heal = { after = "1s" },
                                 on = { setup = function(e) run(e.instance, "touch set-up") end } } },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(run.code == 0, "\(run.stdout)\n\(run.stderr)")
        let ec2 = EC2Provider(config: moto.config())
        let victim = try #require(try await ec2.describe(cluster: "mended").instances.first)
        sleep(2)  // serve hosts the recipe it recorded, and watches the layer

        machines.kill(victim.id)
        let killed = Date()
        var replacement: String?
        _ = Harness.eventually(timeout: 60) {
            let root = machines.bootedInstances.filter { $0 != victim.id }.first
            replacement = root
            return root.map { FileManager.default.fileExists(atPath: machines.root(of: $0).appendingPathComponent("set-up").path) } ?? false
        }
        let mended = Date().timeIntervalSince(killed)
        let events = try h.recipe(["events", "--cluster", "mended"]).stdout
        #expect(replacement != nil, "a replacement booted and ran its setup; events:\n\(events)\nserve:\n\(h.logText().suffix(3000))")
        #expect(events.contains("its agent is silent"), "\(events)")
        print("agent killed -> replacement set up in \(String(format: "%.1f", mended)) s (3 missed heartbeats of 5 s, then launch, boot, setup)")
        let now = try await ec2.describe(cluster: "mended").instances.filter { $0.state.isUp }
        #expect(now.map(\.id) == [replacement].compactMap { $0 }, "the victim is gone, its slot taken: \(now.map(\.id))")
    }

    /// Issue 14's restart case: the controller killed while an agent runs a command. The agent keeps
    /// the outcome until a controller answers again on the same address; the command ran once,
    /// and the `recipe run` waiting for it (on the Store, not the controller) got its answer.
    @Test func aControllerKilledMidCommandLosesNothingAndRunsNothingTwice() async throws {
        let address = "127.0.0.1:\(try FreePort.find())"
        let fleet = try await Fleet(listen: address)
        defer { fleet.stop() }
        let (moto, h, machines) = (fleet.moto, fleet.h, fleet.machines)
        let recipe = try h.write("steady.lua", """
            cluster "steady" {
              provider = "ec2",
              layers = { web = { count = 1, image = "ami-12c6146b", on = { setup = function(e)
                local r = run(e.instance, "sleep 4; echo once >> ran.txt; cat ran.txt")
                if r.stdout ~= "once\\n" then error("the command ran more than once: " .. r.stdout) end
              end } } },
            }
            """)
        let run = try h.start(["run", recipe], log: "run.log", environment: moto.environment)
        defer { h.stop(run) }
        // the command runs on the machine (its output file is there): the controller goes, for longer than it takes
        let handed = Harness.eventually(timeout: 60) {
            machines.bootedInstances.first.map { id in
                let scratch = machines.root(of: id).appendingPathComponent("var/run").path
                return ((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).contains { $0.hasPrefix("command-") }
            } ?? false
        }
        #expect(handed != nil, "an agent took the command: \(h.logText("run.log"))")
        h.stop(fleet.serve)
        sleep(6)
        let again = try h.start(["serve", "--listen", address], log: "serve2.log", environment: moto.environment)
        defer { h.stop(again) }
        let ended = Harness.eventually(timeout: 60) { !run.isRunning }
        #expect(ended != nil && run.terminationStatus == 0, "\(h.logText("run.log"))\nagent: \(machines.bootedInstances.map(machines.agentLog))")
        let id = try #require(machines.bootedInstances.first)
        let ran = try? String(contentsOf: machines.root(of: id).appendingPathComponent("ran.txt"), encoding: .utf8)
        #expect(ran == "once\n", "the command ran exactly once")
        #expect(machines.agentLog(id).contains("the controller does not answer"), "the agent saw the controller gone: \(machines.agentLog(id))")
    }

    /// Point 4 for the recipe's users: each one with a key gets it in `~/.ssh/authorized_keys` on
    /// every machine of the cluster, with sudo a sudoers.d entry; a user the recipe drops loses both
    /// within a heartbeat or two (goal: 10 s).
    @Test func theClustersUsersGetLoginsAndLoseThemWhenDropped() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let (moto, h, machines) = (fleet.moto, fleet.h, fleet.machines)
        func recipe(alice: Bool) throws -> String {
            try h.write("crew.lua", """
                cluster "crew" {
                  provider = "ec2",
                  layers = { web = { count = 1, image = "ami-12c6146b" } },
                  users = {
                    \(alice ? #"alice = { role = "manage", ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDg+BnKurSNp+CGTkyZlh6akkf9km7MV1gSAmH5OE6/P alice@example", sudo = true },"# : "")
                    bob = { role = "show", ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMiuinh3pkgNRfmu+RN6m0sd+Thuzgu5eOeUvPLGiKHY bob@example" },
                  },
                }
                """)
        }
        let first = try h.recipe(["run", try recipe(alice: true)], environment: moto.environment)
        #expect(first.code == 0, "\(first.stdout)\n\(first.stderr)")
        func file(_ path: String) -> String? {
            machines.bootedInstances.first.flatMap { try? String(contentsOf: machines.root(of: $0).appendingPathComponent(path), encoding: .utf8) }
        }
        let granted = Harness.eventually(timeout: 40) {
            file("home/alice/.ssh/authorized_keys") != nil && file("home/bob/.ssh/authorized_keys") != nil
        }
        #expect(granted != nil, "\(machines.bootedInstances.map(machines.agentLog))")
        #expect(file("home/alice/.ssh/authorized_keys") == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDg+BnKurSNp+CGTkyZlh6akkf9km7MV1gSAmH5OE6/P alice@example\n")
        #expect(file("etc/sudoers.d/recipe-alice") == "alice ALL=(ALL) NOPASSWD:ALL\n")
        #expect(file("etc/sudoers.d/recipe-bob") == nil, "bob has no sudo")

        let second = try h.recipe(["run", try recipe(alice: false)], environment: moto.environment)
        #expect(second.code == 0, "\(second.stdout)\n\(second.stderr)")
        let dropped = Date()
        let revoked = Harness.eventually(timeout: 20) {
            file("home/alice/.ssh/authorized_keys") == nil && file("etc/sudoers.d/recipe-alice") == nil
        }
        #expect(revoked != nil, "alice's key and sudo are gone")
        #expect(Date().timeIntervalSince(dropped) <= 10, "within 10 s of the change: \(Date().timeIntervalSince(dropped)) s")
        #expect(file("home/bob/.ssh/authorized_keys") != nil, "bob keeps his")
    }
}
