import Cloud
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Testing

/// `secret("NAME")` in recipes on the memory provider: opaque in Lua, a reference (its name) in
/// everything recorded, `***` in everything shown.
@Suite struct SecretBindingTests {
    static let value = "pa55-w0rd-xyz"

    func fixture() throws -> Fixture {
        let f = try Fixture()
        try SecretVault(home: f.home).set("db", value: Self.value)
        return f
    }

    @Test func aSecretShowsAsStarsAndRefusesToBeReadOrJoined() async throws {
        let f = try fixture()
        defer { f.cleanup() }
        let h = RecipeHarness(fixture: f)
        try await h.run("""
            local s = secret("db")
            log.info("%s %s %s", tostring(s), type(s), getmetatable(s))
            log.info(s)
            log.info("%s", pcall(function() return s.x end))
            """)
        #expect(h.logged == ["*** table secret", "***", "false"])
        #expect(!h.output.value.joined().contains(Self.value))
        await #expect(throws: LuaError.self) { try await h.run("local x = 1\nlocal y = \"mysql -p\" .. secret(\"db\")\n") }
        do {
            try await h.run("local x = 1\nlocal y = \"mysql -p\" .. secret(\"db\")\n")
        } catch let error as LuaError {
            #expect(error.message.contains("recipe.lua:2:"))
            #expect(error.message.contains("pass the secret itself"))
            #expect(error.message.contains("template("))
        }
    }

    @Test func aSecretThatIsNotSetIsRefusedAtTheRecipeLine() async throws {
        let f = try fixture()
        defer { f.cleanup() }
        do {
            try await RecipeHarness(fixture: f).run("\nlocal s = secret(\"nope\")\n")
            Issue.record("expected an error")
        } catch let error as LuaError {
            #expect(error.message.contains("recipe.lua:2:"))
            #expect(error.message.contains("recipe secret set nope"))
        }
    }

    @Test func runWriteAndTemplateCarryTheReferenceAndRecordOnlyStars() async throws {
        let f = try fixture()
        defer { f.cleanup() }
        let h = RecipeHarness(fixture: f)
        try await h.run(RecipeHarness.cluster + """
            local i = instance.list{ cluster = "shop" }[1]
            local conf = template("password={{pw}}\\nport={{port}}\\n", { pw = secret("db"), port = 5432 })
            log.info("%s", conf)
            write(i, "/etc/db.conf", conf)
            run(i, secret("db"))
            run(i, template("mysql -p{{pw}}", { pw = secret("db") }))
            run(i, template("mysql -p{{pw}}", { pw = shell.quote(secret("db")) }))
            log.info("%s", shell.quote(secret("db")))
            """)
        #expect(h.logged == ["***", "***"])
        let id = try #require(try await f.instances().first?.id)
        let reference = SecretText.reference("db")
        #expect(f.memory.files(on: id)["/etc/db.conf"] == "password=\(reference)\nport=5432\n")
        // shell.quote of a secret is a secret whose value is quoted as it is put in
        #expect(f.memory.commands.map(\.command).suffix(3) == [reference, "mysql -p\(reference)", "mysql -p" + Shell.quote(reference)])
        #expect(SecretText.reveal(Shell.quote(reference)) { _ in "it's" } == #"'it'\''s'"#)
        let details = try f.store.events(cluster: "shop").compactMap(\.detail)
        #expect(details.contains("mysql -p***"))
        #expect(!details.joined().contains("db\u{E001}") && !details.joined().contains(Self.value))
    }

    @Test func serviceEnvKeepsTheNameInTheRecordedSpec() async throws {
        let f = try fixture()
        defer { f.cleanup() }
        try await RecipeHarness(fixture: f).run("""
            cluster "shop" { provider = "memory",
              layers = { web = { count = 1,
                services = { api = { command = "./api", port = 9000, env = { TOKEN = secret("db"), MODE = "prod" } } } } } }
            """)
        let spec = try #require(try f.store.cluster("shop")?.spec)
        #expect(spec.contains("TOKEN") && !spec.contains(Self.value))
        let instance = try #require(try await f.instances().first)
        let api = try #require(instance.services.first { $0.name == "api" })
        #expect(api.env == ["TOKEN": SecretText.reference("db"), "MODE": "prod"])
    }

    @Test func anAppEnvSecretReachesItsServiceAsEnvNotOnItsCommandLine() throws {
        let app = try AppSpec(name: "shop", json: .object([
            "source": .string("file:app"), "start": .string("python3 server.py"),
            "env": .object(["DB_PASSWORD": .string(SecretText.reference("db"))]),
        ]))
        #expect(app.service.env == ["DB_PASSWORD": SecretText.reference("db")])
        #expect(!app.service.command.contains("DB_PASSWORD"))
    }
}
