import Foundation
import Testing

/// Issue 13, point 3: with RECIPE_URL set the CLI is a client of `recipe serve`'s API, with the
/// same output, `--json` and exit codes as on the local home; a refusal is the server's words on
/// one line and exit 1; a command the API has no route for refuses by name.
@Suite struct ClientModeTests {
    /// A home with cluster shop (memory provider, 2 web instances), an admin and bob (show on
    /// shop) with a token each, and `recipe serve` answering the API on a free port.
    struct Controller {
        let h: Harness
        let serve: Process
        let url: String
        let admin: String
        let bob: String
        /// Where `recipe login` keeps tokens in these tests (never the real ~/.config).
        let config: URL

        init() throws {
            h = try Harness()
            let recipe = try h.write("shop.lua", #"cluster "shop" { provider = { kind = "memory" }, layers = { web = { count = 2 } } }"#)
            let run = try h.recipe(["run", recipe])
            guard run.code == 0 else { throw HarnessError("run: \(run.stderr)") }
            for arguments in [["user", "add", "root", "--admin"], ["user", "add", "bob"], ["grant", "bob", "shop", "show"]] {
                let out = try h.recipe(arguments)
                guard out.code == 0 else { throw HarnessError("\(arguments): \(out.stderr)") }
            }
            admin = try h.recipe(["token", "create", "root"]).stdout.trimmingCharacters(in: .newlines)
            bob = try h.recipe(["token", "create", "bob"]).stdout.trimmingCharacters(in: .newlines)
            config = h.scratch.appendingPathComponent("config")
            serve = try h.serve(["--listen", "127.0.0.1:0"])
            let log = h.home.appendingPathComponent("serve.log")
            var found: String?
            _ = Harness.eventually(timeout: 15) {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                found = text.range(of: #"API on (http://127\.0\.0\.1:[0-9]+)/api/v1"#, options: .regularExpression)
                    .map { String(text[$0].dropFirst("API on ".count).dropLast("/api/v1".count)) }
                return found != nil
            }
            guard let found else { throw HarnessError("no API line in serve.log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")") }
            url = found
        }

        /// The environment of a client: the controller, a token (or none), and a config folder of the test's own.
        func client(_ token: String?) -> [String: String] {
            ["RECIPE_URL": url, "RECIPE_TOKEN": token ?? "", "XDG_CONFIG_HOME": config.path]
        }

        func stop() {
            h.stop(serve)
            h.cleanup()
        }
    }

    /// Values that change between two reads of the same cluster: the memory provider reports an
    /// agent's heartbeat as the moment it is read (and samples), and the home's disk fills as the
    /// machine writes elsewhere. Masked; the rest is compared byte for byte.
    static func masked(_ json: String) -> String {
        json.replacingOccurrences(of: #""(last_heartbeat|cpu_percent|memory_bytes|free_bytes|used_percent)" : [^,\n]+"#,
                                  with: "\"$1\" : …", options: .regularExpression)
    }

    @Test func statusThroughTheAPIIsTheLocalDocumentAndText() throws {
        let c = try Controller()
        defer { c.stop() }
        let local = try c.h.recipe(["status", "shop", "--json"])
        let remote = try c.h.recipe(["status", "shop", "--json"], environment: c.client(c.admin))
        #expect(local.code == 0 && remote.code == 0, "\(local.stderr) \(remote.stderr)")
        #expect(remote.stdout.contains("\"web-2\"") && remote.stderr.isEmpty, "\(remote)")
        #expect(Self.masked(remote.stdout) == Self.masked(local.stdout), "local:\n\(local.stdout)\nremote:\n\(remote.stdout)")

        // the text is rendered from the document by the local command's own function
        let text = try c.h.recipe(["status", "shop"], environment: c.client(c.admin))
        let localText = try c.h.recipe(["status", "shop"])
        #expect(text.code == 0 && text.stdout == localText.stdout, "\(text)")
        // every cluster bob may see, which is shop; a cluster that is not there is the local words, exit 1
        let all = try c.h.recipe(["status", "--json"], environment: c.client(c.bob))
        let localAll = try c.h.recipe(["status", "--json"])
        #expect(all.code == 0 && Self.masked(all.stdout) == Self.masked(localAll.stdout), "\(all)")
        let missing = try c.h.recipe(["status", "nowhere"], environment: c.client(c.admin))
        #expect(missing.code == 1 && missing.stderr == "no cluster named nowhere\n" && missing.stdout.isEmpty, "\(missing)")
    }

    @Test func refusalsAreTheServersWordsOnOneLine() throws {
        let c = try Controller()
        defer { c.stop() }
        // bob has show on shop: a deploy is refused (403) before anything runs, and recorded as refused
        let deploy = try c.h.recipe(["deploy", "shop", "shop"], environment: c.client(c.bob))
        #expect(deploy.code == 1 && deploy.stdout.isEmpty, "\(deploy)")
        #expect(deploy.stderr.hasPrefix("deploy on cluster shop needs deploy; token:bob") && deploy.stderr.hasSuffix(" has show\n"), "\(deploy.stderr)")
        #expect(deploy.stderr.split(separator: "\n").count == 1)
        let scale = try c.h.recipe(["scale", "shop", "web", "5"], environment: c.client(c.bob))
        #expect(scale.code == 1 && scale.stderr.contains("scale on cluster shop needs manage"), "\(scale.stderr)")
        let refused = try c.h.recipe(["events", "--cluster", "shop", "--kind", "api.refused", "--json"])
        #expect(refused.stdout.split(separator: "\n").count == 2 && refused.stdout.contains("\"actor\":\"token:bob"), "\(refused.stdout)")

        // no token, a token the controller does not know: a 401 that says how to get one; no token printed
        let none = try c.h.recipe(["status", "shop"], environment: c.client(nil))
        #expect(none.code == 1 && none.stderr == "no token: set RECIPE_TOKEN or run `recipe login \(c.url)` "
                + "(an admin makes one with `recipe token create USER`)\n", "\(none.stderr)")
        let wrong = try c.h.recipe(["status", "shop"], environment: c.client("rcp_notarealtoken000000"))
        #expect(wrong.code == 1 && wrong.stderr.hasPrefix("the controller at \(c.url) refused the token: the token is not known"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("notarealtoken"))

        // help is the parser's own: it answers whatever the mode
        let help = try c.h.recipe(["scale", "--help"], environment: c.client(c.admin))
        #expect(help.code == 0 && help.stdout.contains("USAGE: recipe scale"), "\(help)")

        // a command the API does not serve refuses by name, before it touches anything
        for (arguments, name) in [(["volumes", "shop"], "volumes"), (["secret", "set", "db"], "secret set"), (["serve"], "serve"),
                                  (["state", "check"], "state check"), (["metrics", "put", "shop", "web-1", "x", "1"], "metrics put")] {
            let out = try c.h.recipe(arguments, environment: c.client(c.admin))
            #expect(out.code == 1 && out.stdout.isEmpty, "\(arguments): \(out)")
            #expect(out.stderr == "recipe \(name): not available through the API (RECIPE_URL is set); unset RECIPE_URL to act on the local home\n",
                    "\(out.stderr)")
        }
    }

    @Test func scaleWorksThroughTheAPIAndLocally() throws {
        let c = try Controller()
        defer { c.stop() }
        let up = try c.h.recipe(["scale", "shop", "web", "+1"], environment: c.client(c.admin))
        #expect(up.code == 0 && up.stdout == "shop/web: 3 instances (launched web-3)\n", "\(up)")
        #expect(try c.h.status("shop").instances.map(\.name).sorted() == ["web-1", "web-2", "web-3"])
        let launched = try c.h.recipe(["events", "--cluster", "shop", "--kind", "instance.launched", "--json"])
        #expect(launched.stdout.split(separator: "\n").last?.contains("\"actor\":\"token:root") == true, "\(launched.stdout)")
        let unknown = try c.h.recipe(["scale", "shop", "db", "2"], environment: c.client(c.admin))
        #expect(unknown.code == 1 && unknown.stderr == "cluster shop has no layer db\n", "\(unknown.stderr)")
        let remote = try c.h.recipe(["scale", "shop", "web", "3", "--json"], environment: c.client(c.admin))

        // the memory provider's file is one process's at a time: serve stops before the CLI changes it
        c.h.stop(c.serve)
        let local = try c.h.recipe(["scale", "shop", "web", "3", "--json"])
        #expect(remote.code == 0 && remote.stdout == local.stdout && remote.stdout.contains("\"changed\" : false"), "\(remote)\n\(local)")
        let down = try c.h.recipe(["scale", "shop", "web", "-2"])
        // locally the steps are printed as they happen, then the same line
        let last = down.stdout.split(separator: "\n").last ?? ""
        #expect(down.code == 0 && last.hasPrefix("shop/web: 1 instance (terminated ") && last.contains("web-3"), "\(down)")
        let left = try c.h.status("shop").instances.map { "\($0.name) \($0.state)" }
        let events = try c.h.recipe(["events", "--cluster", "shop"]).stdout.suffix(2000)
        #expect(left.count == 1, "after \(down.stdout): \(left); events: \(events)")
    }

    @Test func loginKeepsTheTokenPrivateAndLogoutForgetsIt() throws {
        let c = try Controller()
        defer { c.stop() }
        var env = c.client(nil)
        let login = try c.h.recipe(["login", c.url + "/api/v1"], environment: env, input: c.admin + "\n")
        #expect(login.code == 0 && login.stdout.hasPrefix("logged in to \(c.url) as root (admin)\n"), "\(login)")
        #expect(!login.stdout.contains(c.admin) && !login.stderr.contains(c.admin))
        let file = c.config.appendingPathComponent("recipe/credentials")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        let folder = try FileManager.default.attributesOfItem(atPath: file.deletingLastPathComponent().path)[.posixPermissions] as? Int
        #expect(mode == 0o600 && folder == 0o700, "\(String(mode ?? 0, radix: 8)) \(String(folder ?? 0, radix: 8))")

        // no RECIPE_TOKEN: the kept one is used
        let status = try c.h.recipe(["status", "shop", "--json"], environment: env)
        #expect(status.code == 0 && status.stdout.contains("\"web-1\""), "\(status.stderr)")
        let logout = try c.h.recipe(["logout"], environment: env)
        #expect(logout.code == 0 && logout.stdout.hasPrefix("logged out of \(c.url)"), "\(logout)")
        #expect(try c.h.recipe(["status", "shop"], environment: env).stderr.hasPrefix("no token: "))

        // without XDG_CONFIG_HOME it is HOME/.config; a bad token is not kept
        env["XDG_CONFIG_HOME"] = nil
        env["HOME"] = c.h.scratch.appendingPathComponent("home").path
        let bad = try c.h.recipe(["login", c.url, "--token", "rcp_wrong"], environment: env)
        #expect(bad.code == 1 && bad.stderr.contains("refused the token: the token is not known"), "\(bad.stderr)")
        #expect(try c.h.recipe(["login", c.url, "--token", c.bob], environment: env).stdout.hasPrefix("logged in to \(c.url) as bob (shop show)"))
        let kept = try String(contentsOfFile: c.h.scratch.path + "/home/.config/recipe/credentials", encoding: .utf8)
        #expect(kept.contains("\(c.url) \(c.bob)\n") && !kept.contains("rcp_wrong"))
        #expect(try c.h.recipe(["releases", "shop", "shop"], environment: env).stderr == "cluster shop has no app shop (apps: )\n")
    }

    @Test func logsThroughTheAPIAreTheLocalOnes() throws {
        let c = try Controller()
        defer { c.stop() }
        let recipe = try c.h.write("logged.lua", #"""
            cluster "logged" { provider = { kind = "memory" },
              layers = { web = { count = 1, on = { configure = function(e) log.info("configuring " .. e.instance.name) end } } } }
            """#)
        let run = try c.h.recipe(["run", recipe], environment: c.client(c.admin))
        #expect(run.code == 0, "\(run.stderr)")
        let local = try c.h.recipe(["logs", "logged", "--hook", "--json"])
        let remote = try c.h.recipe(["logs", "logged", "--hook", "--json"], environment: c.client(c.admin))
        #expect(local.code == 0 && local.stdout.contains("configuring web-1"), "\(local)")
        #expect(remote.code == 0 && remote.stdout == local.stdout, "\(remote)")
        let localText = try c.h.recipe(["logs", "logged", "web-1"])
        let remoteText = try c.h.recipe(["logs", "logged", "web-1"], environment: c.client(c.admin))
        #expect(remoteText.stdout == localText.stdout && localText.stdout.contains("configuring web-1"), "\(remoteText)")
        let refused = try c.h.recipe(["logs", "shop"], environment: c.client(nil))
        #expect(refused.code == 1 && refused.stderr.contains("no token"), "\(refused.stderr)")
        let follow = try c.h.recipe(["logs", "logged", "--follow"], environment: c.client(c.admin))
        #expect(follow.code == 1 && follow.stderr.contains("recipe logs --follow: not available through the API"), "\(follow.stderr)")
    }

    @Test func eventsFollowTheLiveStream() throws {
        let c = try Controller()
        defer { c.stop() }
        let local = try c.h.recipe(["events", "--cluster", "shop", "--kind", "instance", "--json"])
        let remote = try c.h.recipe(["events", "--cluster", "shop", "--kind", "instance", "--json"], environment: c.client(c.bob))
        #expect(remote.code == 0 && remote.stdout == local.stdout && !local.stdout.isEmpty, "\(remote)")
        let remoteText = try c.h.recipe(["events", "--cluster", "shop", "--kind", "instance"], environment: c.client(c.bob))
        let localText = try c.h.recipe(["events", "--cluster", "shop", "--kind", "instance"])
        #expect(remoteText.stdout == localText.stdout && !localText.stdout.isEmpty, "\(remoteText)")

        // --follow: the newest, then what is emitted (through the API, by the admin) as it comes
        let follow = try c.h.start(["events", "--cluster", "shop", "--kind", "app", "--follow"], log: "follow.log", environment: c.client(c.bob))
        defer { c.h.stop(follow) }
        let emitted = try c.h.recipe(["emit", "shop", "app.ready", "--subject", "web-1", "--detail", "warm"], environment: c.client(c.admin))
        #expect(emitted.code == 0 && Int(emitted.stdout.trimmingCharacters(in: .newlines)) != nil, "\(emitted)")
        let log = c.h.home.appendingPathComponent("follow.log")
        let seen = Harness.eventually(timeout: 10) {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("app.ready")
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(seen != nil, "\(text)")
        #expect(text.contains("web-1") && text.contains("warm") && text.contains("[token:root"), "\(text)")
        // without a cluster the API has no log to stream
        let whole = try c.h.recipe(["events"], environment: c.client(c.admin))
        #expect(whole.code == 1 && whole.stderr == "recipe events: through the API, name the cluster (--cluster C)\n", "\(whole.stderr)")
    }

    @Test func planOfAFileIsUploadedAndExitsTwoOnChanges() throws {
        let c = try Controller()
        defer { c.stop() }
        let changed = try c.h.write("grown/shop.lua", #"cluster "shop" { provider = { kind = "memory" }, layers = { web = { count = 3 } } }"#)
        let local = try c.h.recipe(["plan", changed])
        let remote = try c.h.recipe(["plan", changed], environment: c.client(c.admin))
        #expect(local.code == 2 && remote.code == 2, "\(local) \(remote)")
        #expect(remote.stdout == local.stdout && remote.stdout.contains("shop: Plan: 1 to add"), "local:\n\(local.stdout)\nremote:\n\(remote.stdout)")
        let json = try c.h.recipe(["plan", changed, "--json"], environment: c.client(c.admin))
        let localJSON = try c.h.recipe(["plan", changed, "--json"])
        #expect(json.code == 2 && json.stdout == localJSON.stdout, "\(json)")
        // a recipe's own error names the file as given here, not where the controller keeps the upload
        let bad = try c.h.write("bad.lua", "local x = 1\ncluster \"bad\" { provider = { kind = \"memory\" }, layers = { web = { count = \"lots\" } } }\n")
        let localBad = try c.h.recipe(["plan", bad])
        let remoteBad = try c.h.recipe(["plan", bad], environment: c.client(c.admin))
        #expect(remoteBad.code == 1 && localBad.code == 1 && remoteBad.stderr == localBad.stderr, "\(localBad.stderr)\n\(remoteBad.stderr)")
        #expect(localBad.stderr.hasPrefix("\(bad):2: layer web: count must be a whole number"), "\(localBad.stderr)")
        // uploads are the admins'
        let bob = try c.h.recipe(["plan", changed], environment: c.client(c.bob))
        #expect(bob.code == 1 && bob.stderr.contains("needs admin"), "\(bob.stderr)")
    }

    @Test func anUnreachableControllerIsSaidByItsURL() throws {
        let h = try Harness()
        defer { h.cleanup() }
        // port 1 on loopback: nothing listens there
        let out = try h.recipe(["status"], environment: ["RECIPE_URL": "http://127.0.0.1:1", "RECIPE_TOKEN": "rcp_x"])
        #expect(out.code == 1 && out.stderr == "cannot reach the controller at http://127.0.0.1:1: connection refused\n", "\(out.stderr)")
        let bad = try h.recipe(["status"], environment: ["RECIPE_URL": "ftp://x", "RECIPE_TOKEN": "rcp_x"])
        #expect(bad.code == 1 && bad.stderr.contains("'ftp://x' is not the URL of a controller"), "\(bad.stderr)")
    }
}
