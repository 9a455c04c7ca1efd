import Foundation
import TestSupport
import Testing

/// Issue 15, first part: the console at `/` of `recipe serve`, over HTTP as a browser speaks it.
/// Sign-in trades a token for an HttpOnly, SameSite=Strict session; the pages show what the
/// person's rights let the API show; a form changes things only with the session's CSRF token,
/// and only as far as those rights go (the API's own refusal, recorded).
@Suite struct ConsoleTests {
    @Test func signInSeeTheClusterScaleItAndBeRefusedWithoutRightsOrToken() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("mem.lua", """
            cluster "mem" { provider = { kind = "memory" }, layers = { web = { count = 2 }, lb = { count = 1 } } }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        for (user, level) in [("root", nil), ("sam", "show")] as [(String, String?)] {
            #expect(try h.recipe(["user", "add", user] + (level == nil ? ["--admin"] : [])).code == 0)
            if let level { #expect(try h.recipe(["grant", user, "mem", level]).code == 0) }
        }
        func token(_ user: String) throws -> String {
            try h.recipe(["token", "create", user]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let (root, sam) = (try token("root"), try token("sam"))
        let serve = try h.serve(["--listen", "127.0.0.1:0"])
        defer { h.stop(serve) }
        let url = try ControllerTests.apiURL(h)

        // nobody signed in: sent to sign in; a token that opens nothing says so
        #expect(try Curl.page("GET", url + "/").headers["location"] == "/clusters")
        #expect(try Curl.page("GET", url + "/clusters").headers["location"] == "/signin")
        let bad = try Curl.page("POST", url + "/signin", form: ["token": "rcp_forged"])
        #expect(bad.status == 401 && bad.body.contains("That token opens nothing"), "\(bad.body)")

        func signIn(_ token: String) throws -> String {
            let signedIn = try Curl.page("POST", url + "/signin", form: ["token": token])
            #expect(signedIn.status == 303 && signedIn.headers["location"] == "/clusters")
            let cookie = signedIn.headers["set-cookie"] ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "\(cookie)")
            return String(cookie.prefix { $0 != ";" })
        }
        let admin = try signIn(root)
        let clusters = try Curl.page("GET", url + "/clusters", cookie: admin)
        #expect(clusters.status == 200 && clusters.body.contains(#"<a href="/clusters/mem">mem</a>"#) && clusters.body.contains("3 healthy"),
                "\(clusters.body)")
        #expect(clusters.headers["content-security-policy"]?.contains("default-src 'self'") == true)
        let page = try Curl.page("GET", url + "/clusters/mem", cookie: admin)
        #expect(page.status == 200 && page.body.contains("web-1") && page.body.contains("web-2") && page.body.contains("lb-1"), "\(page.body)")
        let csrf = try #require(page.body.firstMatch(of: /name="csrf" value="([^"]+)"/)?.output.1).description

        // a scale with the session's form token runs as the person; a forged one changes nothing
        let scaled = try Curl.page("POST", url + "/clusters/mem/layers/web/scale", cookie: admin, form: ["csrf": csrf, "count": "3"])
        #expect(scaled.status == 303 && scaled.headers["location"] == "/clusters/mem", "\(scaled.status) \(scaled.body)")
        #expect(try h.status("mem").instances.filter { $0.layer == "web" }.count == 3)
        let scaleEvents = try h.recipe(["events", "--cluster", "mem", "--kind", "instance.launched"]).stdout
        #expect(scaleEvents.contains("[user:root]") || scaleEvents.contains("[token:root"), "the change records who made it: \(scaleEvents)")
        let forged = try Curl.page("POST", url + "/clusters/mem/layers/web/scale", cookie: admin, form: ["csrf": "forged", "count": "5"])
        #expect(forged.status == 403 && forged.body.contains("CSRF"), "\(forged.body)")
        #expect(try h.status("mem").instances.filter { $0.layer == "web" }.count == 3)

        // a show-level user sees the cluster without a scale button, and a post anyway is the API's 403
        let viewer = try signIn(sam)
        let seen = try Curl.page("GET", url + "/clusters/mem", cookie: viewer)
        #expect(seen.status == 200 && seen.body.contains("web-3") && !seen.body.contains("/scale"), "\(seen.body)")
        let samCSRF = try #require(seen.body.firstMatch(of: /name="csrf" value="([^"]+)"/)?.output.1).description
        let refused = try Curl.page("POST", url + "/clusters/mem/layers/web/scale", cookie: viewer, form: ["csrf": samCSRF, "count": "1"])
        #expect(refused.status == 403, "\(refused.status) \(refused.body)")
        #expect(try h.status("mem").instances.filter { $0.layer == "web" }.count == 3)
        let audit = try h.recipe(["events", "--kind", "api.refused"]).stdout
        #expect(audit.contains("sam"), "the refusal is recorded with who asked: \(audit)")

        // the event page, narrowed as recipe events narrows
        let launched = try Curl.page("GET", url + "/clusters/mem/events?kind=instance.launched", cookie: admin)
        let kinds = Set(launched.body.matches(of: /<tr class="event"><td><time[^>]*>[^<]*<\/time><\/td><td>([^<]+)<\/td>/).map { String($0.output.1) })
        #expect(launched.status == 200 && kinds == ["instance.launched"], "\(kinds) \(launched.body.suffix(2000))")
        #expect(launched.body.contains(#"data-stream="/clusters/mem/events/stream?kind=instance.launched""#), "the page follows the same query live")

        // every page is valid HTML (Debian's tidy: no error, no warning)
        for (name, html) in [("sign in", bad.body), ("clusters", clusters.body), ("cluster", page.body), ("viewer's cluster", seen.body),
                             ("refusal", refused.body), ("forged", forged.body), ("events", launched.body)] {
            let verdict = try Self.tidy(html)
            #expect(verdict.isEmpty, "\(name): \(verdict)")
        }

        // signed out, the cookie opens nothing
        let out = try Curl.page("POST", url + "/signout", cookie: viewer, form: ["csrf": samCSRF])
        #expect(out.status == 303 && out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        #expect(try Curl.page("GET", url + "/clusters", cookie: viewer).headers["location"] == "/signin")
        #expect(try Curl.page("GET", url + "/clusters", cookie: admin).status == 200, "another session is untouched")
        // the state keeps no session or token in clear
        let database = ["state.db", "state.db-wal"].reduce(Data()) { $0 + ((try? Data(contentsOf: h.home.appendingPathComponent($1))) ?? Data()) }
        for secret in [root, sam, String(admin.dropFirst("recipe_session=".count))] {
            #expect(database.range(of: Data(secret.utf8)) == nil, "a secret is in the state file")
        }
    }

    /// What tidy says of a page (empty: nothing).
    static func tidy(_ html: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tidy")
        process.arguments = ["-e", "-q"]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try Launch.run(process)
        input.fileHandleForWriting.write(Data(html.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return said.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
