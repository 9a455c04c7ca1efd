import Foundation
import Testing

/// Issue 13, point 4: `recipe logs` on the local provider shows what a configure hook logged and
/// ran, a command's output, a service's output and a scheduled hook's run under `recipe serve`,
/// with a secret as `***`; filters narrow it, --json parses, --follow prints what comes, and bad
/// input is refused by name. (What is kept, 50 per kind per instance, is LogStoreTests'.)
@Suite struct LogsTests {
    static let value = "Lg-\(UUID().uuidString.prefix(10))"

    struct Document: Decodable {
        struct Entry: Decodable {
            var kind: String
            var source: String
            var instance: String?
            var text: String
            var exitCode: Int32?
            var run: Int64?
            var result: String?
        }
        var entries: [Entry]
        var warnings: [String]
    }

    static let recipe = """
        cluster "chatty" {
          layers = { web = { count = 1,
            services = { talker = { command = "sh -c 'echo talker up; echo token $TOKEN; exec sleep 600'",
                                    env = { TOKEN = secret("pw") } },
                         ticker = { command = "sh -c 'while sleep 0.2; do echo tick; done'" } },
            on = { configure = function(e)
              log.info("configuring %s", e.instance.name)
              run(e.instance, template("echo from-command; echo pw={{pw}}; exit 3", { pw = secret("pw") }))
              log.info("the secret is %s", secret("pw"))
            end } } },
        }
        on("probe.ping", function(e)
          log.info("pinged %s", e.detail)
        end)
        """

    @Test func hookCommandServiceAndScheduledOutputShowWithSecretsMasked() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["secret", "set", "pw"], input: Self.value + "\n").code == 0)
        let recipe = try h.write("chatty.lua", Self.recipe)
        let run = try h.recipe(["run", recipe])
        #expect(run.code == 0, "\(run.stderr)")
        var printed: [String] = []
        func logs(_ arguments: [String]) throws -> String {
            let out = try h.recipe(["logs", "chatty"] + arguments)
            #expect(out.code == 0 && out.stderr.isEmpty, "\(arguments): \(out.stderr)")
            printed.append(out.stdout)
            return out.stdout
        }
        // the service writes as it starts: its output is read from the instance
        #expect(try Harness.eventually(timeout: 10) { try logs(["--service", "talker"]).contains("token ***") } != nil)

        let all = try logs([])
        for line in ["    [info] configuring web-1", "    $ echo from-command; echo pw=***; exit 3", "    from-command",
                     "    pw=***", "    exit 3", "    [info] the secret is ***", "    talker up", "    token ***"] {
            #expect(all.contains(line + "\n"), "\(line) in \(all)")
        }
        #expect(all.contains("  web-1     hook     configure  ok\n"), "\(all)")
        #expect(all.contains("  web-1     command  echo from-command; echo pw=***; exit 3  exit 3\n"), "\(all)")
        #expect(all.contains("  web-1     service  talker\n"), "\(all)")

        // filters: by kind, by instance (name or id), by time
        let hooks = try logs(["web-1", "--hook"])
        #expect(hooks.contains("hook     configure") && !hooks.contains(" command ") && !hooks.contains(" service "), "\(hooks)")
        let commands = try logs(["--command"])
        #expect(commands.contains("command  echo from-command") && !commands.contains(" hook "), "\(commands)")
        let services = try logs(["--service", "talker"])
        #expect(services.contains("talker up") && !services.contains("configuring"), "\(services)")
        let id = try #require(try h.status("chatty").instances.first?.id)
        #expect(try logs([id, "--hook"]) == hooks)
        #expect(try logs(["--hook", "--since", "1h"]) == hooks)
        #expect(try logs(["--hook", "--since", "2000-01-01"]) == hooks)
        #expect(try logs(["--since", "2100-01-01"]).isEmpty)

        let json = try logs(["--json"])
        let document = try JSONDecoder().decode(Document.self, from: Data(json.utf8))
        #expect(Set(document.entries.map(\.kind)) == ["hook", "command", "service"] && document.warnings.isEmpty)
        #expect(Set(document.entries.filter { $0.kind == "service" }.map(\.source)) == ["talker", "ticker"])
        let command = try #require(document.entries.first { $0.kind == "command" })
        #expect(command.exitCode == 3 && command.instance == "web-1" && command.text == "from-command\npw=***\n")

        // a scheduled hook's run, under serve: about the cluster, named by its hook and run
        let serve = try h.serve([recipe])
        #expect(try h.recipe(["emit", "chatty", "probe.ping", "--detail", "from-emit"]).code == 0)
        let pinged = try Harness.eventually(timeout: 10) { try logs(["--hook"]).contains("    [info] pinged from-emit\n") }
        #expect(pinged != nil)
        #expect(try logs(["--hook"]).contains(Regex(#"  -         hook     on:probe\.ping#1 \(run \d+\)  ok\n"#)))
        h.stop(serve)

        // --follow prints what comes after it started, one JSON entry per line
        let follow = try h.start(["logs", "chatty", "--command", "--follow", "--json"], log: "follow.log")
        defer { h.stop(follow) }
        let later = try h.write("later.lua", #"run(instance.list{ cluster = "chatty" }[1], "echo followed")"#)
        #expect(try h.recipe(["run", later]).code == 0)
        let followed = h.home.appendingPathComponent("follow.log")
        let seen = Harness.eventually(timeout: 5) {
            (try? String(contentsOf: followed, encoding: .utf8))?.contains(#""text":"followed\n""#) == true
        }
        #expect(seen != nil, "\((try? String(contentsOf: followed, encoding: .utf8)) ?? "")")
        let lines = try String(contentsOf: followed, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2, "the earlier command, then the new one: \(lines)")
        for line in lines { _ = try JSONDecoder().decode(Document.Entry.self, from: Data(line.utf8)) }
        printed.append(try String(contentsOf: followed, encoding: .utf8))

        // a service's output streams: its new lines arrive while following
        let ticks = try h.start(["logs", "chatty", "web-1", "--service", "ticker", "--follow"], log: "ticks.log")
        defer { h.stop(ticks) }
        let ticked = h.home.appendingPathComponent("ticks.log")
        func count() -> Int { ((try? String(contentsOf: ticked, encoding: .utf8)) ?? "").components(separatedBy: "    tick\n").count - 1 }
        #expect(Harness.eventually(timeout: 5) { count() > 0 } != nil)
        let first = count()
        #expect(Harness.eventually(timeout: 5) { count() >= first + 3 } != nil, "\(first) ticks, then \(count())")
        let streamed = try String(contentsOf: ticked, encoding: .utf8)
        // whole lines only, of that service only
        #expect(streamed.split(separator: "\n").allSatisfy { $0 == "    tick" || $0.hasSuffix("  web-1     service  ticker") }, "\(streamed)")

        for text in printed { #expect(!text.contains(Self.value), "printed: \(text)") }
    }

    @Test func badInputIsRefusedByName() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("quiet.lua", #"cluster "quiet" { layers = { web = { count = 1, services = { idle = { command = "sleep 600" } } } } }"#)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let cases: [([String], String)] = [
            (["nowhere"], "no cluster named nowhere"),
            (["quiet", "web-9"], "cluster quiet has no instance web-9 (instances: web-1)"),
            (["quiet", "--service", "idle", "--hook"], "--service idle and --hook: choose one of --service, --hook, --deploy, --command"),
            (["quiet", "--hook", "--deploy"], "--hook and --deploy: choose one"),
            (["quiet", "--since", "yesterday"], "--since: 'yesterday' is neither a duration (such as 10m, 2h or 1d) nor a UTC date"),
            (["quiet", "web-1", "--service", "nope"], "instance web-1 of cluster quiet has no service nope (services: idle)"),
            (["quiet", "--limit", "0"], "--limit must be 1 or more"),
        ]
        for (arguments, message) in cases {
            let out = try h.recipe(["logs"] + arguments)
            #expect(out.code == 1, "\(arguments): exit \(out.code)")
            #expect(out.stderr == message + "\n" || out.stderr.hasPrefix(message), "\(arguments): \(out.stderr)")
            #expect(out.stdout.isEmpty, "\(arguments): \(out.stdout)")
        }
    }
}
