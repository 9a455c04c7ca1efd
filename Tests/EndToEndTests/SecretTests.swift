import Foundation
import Testing

/// Issue 12's secrets: a value set with `recipe secret set` reaches a command, a written file, a
/// template, a service's env and an app's env, and is found nowhere else: not in events, hook
/// logs, `--verbose` output, a failing command's error, state.db or any other file of the home.
@Suite struct SecretTests {
    static let value = "Sv-\(UUID().uuidString.prefix(12))-q'uote"

    static let cluster = """
        cluster "vault" {
          provider = "local",
          apps = { probe = { source = "file:" .. recipe.dir .. "/app", start = "sh -c 'printf %s \\"$DB_PASSWORD\\" > $ROOT/app-saw; exec python3 server.py'",
                             port = 8000, health = "/health", env = { DB_PASSWORD = secret("db_pw") } } },
          layers = {
            web = { count = 1, apps = { "probe" },
              services = { keeper = { command = "printf %s \\"$TOKEN\\" > $ROOT/service-saw; exec sleep 600",
                                      env = { TOKEN = secret("db_pw") } } },
              on = { setup = function(e)
                run(e.instance, template("printf %s \\"{{pw}}\\" > command-saw", { pw = secret("db_pw") }))
                write(e.instance, "/etc/written", template("password={{pw}}\\n", { pw = secret("db_pw") }))
                write(e.instance, "/etc/plain", secret("db_pw"))
                log.info("set up with %s", secret("db_pw"))
              end } },
          },
        }
        """

    @Test func aSecretReachesTheMachineAndNothingElse() throws {
        let h = try Harness()
        defer { h.cleanup() }
        // the quote in the value checks that a template puts it in raw and that env is quoted right
        let set = try h.recipe(["secret", "set", "db_pw"], input: Self.value + "\n")
        #expect(set.code == 0, "\(set.stderr)")
        #expect(try h.recipe(["secret", "list"]).stdout == "db_pw\n")
        let app = h.scratch.appendingPathComponent("app")
        try FileManager.default.createDirectory(at: app, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Harness.repo.appendingPathComponent("Examples/webapp/app/server.py"),
                                         to: app.appendingPathComponent("server.py"))
        let recipe = try h.write("vault.lua", Self.cluster)
        var printed: [String] = []

        let plan = try h.recipe(["plan", recipe, "--verbose"])
        printed += [plan.stdout, plan.stderr]
        let run = try h.recipe(["run", recipe, "--verbose"])
        printed += [run.stdout, run.stderr]
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("set up with ***"))

        // what the command, the file writes, the service and the app saw: the real value
        let instance = try #require(try h.status("vault").instances.first)
        let root = h.home.appendingPathComponent("local/instances/\(instance.id)")
        func saw(_ path: String) -> String? { try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }
        #expect(saw("command-saw") == Self.value)
        #expect(saw("etc/written") == "password=\(Self.value)\n")
        #expect(saw("etc/plain") == Self.value)
        #expect(Harness.eventually(timeout: 10) { saw("service-saw") == Self.value && saw("app-saw") == Self.value } != nil,
                "service saw \(saw("service-saw") ?? "nothing"), app saw \(saw("app-saw") ?? "nothing")")
        // a service's and an app's env are not words of a command line, which any user can read
        for pid in (try FileManager.default.contentsOfDirectory(atPath: "/proc")).filter({ Int($0) != nil }) {
            guard let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { continue }
            #expect(cmdline.range(of: Data(Self.value.utf8)) == nil, "process \(pid) shows it in its command line")
        }

        // a failing command that prints it, and an error that names it, with --verbose
        let failing = try h.write("fail.lua", """
            local i = instance.list{ cluster = "vault" }[1]
            local r = run(i, template("echo \\"{{pw}}\\"; echo \\"{{pw}}\\" >&2; exit 3", { pw = secret("db_pw") }))
            log.info("stdout was %s", r.stdout)
            error("the command failed (" .. r.code .. "): " .. r.stderr .. " with " .. tostring(secret("db_pw")))
            """)
        let failed = try h.recipe(["run", failing, "--verbose"])
        printed += [failed.stdout, failed.stderr]
        #expect(failed.code == 1)
        #expect(failed.stderr.contains("fail.lua:4: the command failed (3): ***"), "\(failed.stderr)")
        #expect(failed.stdout.contains("stdout was ***"))

        // joining it into a plain string is refused at its line, saying what to do instead
        let joined = try h.recipe(["run", try h.write("join.lua", "local x = 1\nrun(\"web-1\", \"echo \" .. secret(\"db_pw\"))\n")])
        printed += [joined.stdout, joined.stderr]
        #expect(joined.code == 1)
        #expect(joined.stderr.contains("join.lua:2: a secret cannot be joined into a plain string: pass the secret itself"), "\(joined.stderr)")

        // a hook under recipe serve logs it and runs a command with it
        let hooks = try h.write("hooks.lua", """
            on("probe.secret", function(e)
              log.info("hook has %s", secret("db_pw"))
              local r = run(instance.list{ cluster = "vault" }[1], template("echo \\"{{pw}}\\"", { pw = secret("db_pw") }))
              log.info("hook saw %s", r.stdout)
            end)
            """)
        let serve = try h.serve([hooks])
        #expect(try h.recipe(["emit", "vault", "probe.secret"]).code == 0)
        let logged = Harness.eventually(timeout: 20) {
            (try? h.recipe(["events", "--kind", "hook.log"]).stdout.contains("hook saw ***")) == true
        }
        #expect(logged != nil, "the hook's log lines never arrived")
        h.stop(serve)

        let events = try h.recipe(["events", "--json", "--all"])
        printed += [events.stdout, events.stderr]
        #expect(events.stdout.contains("hook has ***"))
        #expect(events.stdout.contains("secret.set"))
        for text in printed { #expect(!text.contains(Self.value), "printed: \(text)") }

        // no file of the home holds it but the ones the machine was given
        let given: Set<String> = ["command-saw", "etc/written", "etc/plain", "service-saw", "app-saw"].map { root.appendingPathComponent($0).path }
            .reduce(into: []) { $0.insert($1) }
        let needle = Data(Self.value.utf8)
        let files = FileManager.default.enumerator(at: h.home, includingPropertiesForKeys: [.isRegularFileKey])!
        var checked = 0
        for case let file as URL in files where !given.contains(file.path) {
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = try? Data(contentsOf: file) else { continue }
            checked += 1
            #expect(data.range(of: needle) == nil, "\(file.path) holds the secret")
        }
        #expect(checked > 5)
        let db = try Data(contentsOf: h.home.appendingPathComponent("state.db"))
        #expect(db.range(of: needle) == nil)
        #expect(db.range(of: Data("db_pw".utf8)) != nil, "the recorded spec names the secret")
    }

    @Test func aRemovedSecretIsRefusedByNameAtTheRecipeLine() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["secret", "set", "token"], input: "abc123").code == 0)
        #expect(try h.recipe(["secret", "remove", "token"]).code == 0)
        #expect(try h.recipe(["secret", "list"]).stdout == "")
        #expect(try h.recipe(["secret", "remove", "token"]).code == 1)
        let use = try h.recipe(["run", try h.write("use.lua", "\nlocal t = secret(\"token\")\n")])
        #expect(use.code == 1)
        #expect(use.stderr.contains("use.lua:2: secret 'token' is not set in this home"), "\(use.stderr)")
        #expect(try h.recipe(["secret", "set", "bad name"], input: "x").code != 0)
    }
}
