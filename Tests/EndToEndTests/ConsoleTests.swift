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
        let bad = try Self.signIn(url, token: "rcp_forged")
        #expect(bad.status == 401 && bad.body.contains("That token opens nothing"), "\(bad.body)")
        // a sign-in posted without the form's own token (from another site: login CSRF) opens nothing
        let crossSite = try Curl.page("POST", url + "/signin", form: ["token": root])
        #expect(crossSite.status == 403 && crossSite.headers["set-cookie"]?.hasPrefix("recipe_session=") != true, "\(crossSite.status)")

        func signIn(_ token: String) throws -> String {
            let signedIn = try Self.signIn(url, token: token)
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

    /// The one-click actions beyond scaling, each the API route of its name as the person, and the
    /// pages beside the cluster's: plan as a diff, graphs, usage, and users for admins only.
    @Test func stopStartReplaceSnapshotCloneAndPlanAsThePersonAndEveryPageValid() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("mem.lua", """
            cluster "mem" {
              provider = { kind = "memory" },
              firewall = { web = { { port = 80, from = "0.0.0.0/0" } } },
              layers = { web = { count = 2, volumes = { data = { size_gb = 1, mount = "/srv/data" } },
                                 autoscale = { metric = "queue_depth", up = { above = 70, add = 2 }, min = 1, max = 6 } } },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        #expect(try h.recipe(["user", "add", "root", "--admin"]).code == 0)
        #expect(try h.recipe(["user", "add", "sam"]).code == 0)
        #expect(try h.recipe(["grant", "sam", "mem", "show"]).code == 0)
        #expect(try h.recipe(["metrics", "put", "mem", "web-1", "queue_depth", "4", "--ago", "20m"]).code == 0)
        #expect(try h.recipe(["metrics", "put", "mem", "web-1", "--ago", "soon", "queue_depth", "4"]).code != 0, "a bad --ago is refused")
        let serve = try h.serve(["--listen", "127.0.0.1:0"])
        defer { h.stop(serve) }
        let url = try ControllerTests.apiURL(h)
        func signIn(_ user: String) throws -> (cookie: String, csrf: String) {
            let token = try h.recipe(["token", "create", user]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let cookie = String((try Self.signIn(url, token: token).headers["set-cookie"] ?? "").prefix { $0 != ";" })
            let page = try Curl.page("GET", url + "/clusters/mem", cookie: cookie)
            return (cookie, try #require(page.body.firstMatch(of: /name="csrf" value="([^"]+)"/)?.output.1).description)
        }
        let (admin, csrf) = try signIn("root")
        func post(_ path: String, _ form: [String: String] = [:], as who: (cookie: String, csrf: String)? = nil) throws -> Curl.Page {
            let session = who ?? (admin, csrf)
            return try Curl.page("POST", url + path, cookie: session.cookie, form: form.merging(["csrf": session.csrf]) { a, _ in a })
        }
        func web(_ name: String) throws -> StatusDocument.Instance? { try h.status("mem").instances.first { $0.name == name } }

        let before = try #require(try web("web-2"))
        #expect(try post("/clusters/mem/instances/web-1/stop").status == 303)
        #expect(try web("web-1")?.state == "stopped")
        let stopped = try Curl.page("GET", url + "/clusters/mem", cookie: admin)
        #expect(stopped.body.contains("/clusters/mem/instances/web-1/start"), "a stopped instance offers start")
        #expect(try post("/clusters/mem/instances/web-1/start").status == 303)
        #expect(try web("web-1")?.state == "online")
        #expect(try post("/clusters/mem/instances/web-2/replace").status == 303)
        let after = try #require(try web("web-2"))
        #expect(after.id != before.id && after.state == "online", "web-2 is a new instance in the same slot")
        #expect(try post("/clusters/mem/instances/web-9/stop").status == 404)
        #expect(try post("/clusters/mem/instances/web-1/reboot").status == 404)

        let volume = try #require(try h.status("mem").volumes.first)
        #expect(try post("/clusters/mem/volumes/\(volume.id)/snapshot").status == 303)
        let cluster = try Curl.page("GET", url + "/clusters/mem", cookie: admin)
        #expect(cluster.body.contains("of <code>\(volume.id)</code>"), "the snapshot is listed")
        #expect(cluster.body.contains("web accepts tcp 80 from 0.0.0.0/0"), "the firewall is shown")
        #expect(cluster.body.contains("<td>queue_depth: +2 above 70, 1 to 6</td>"), "the layer's autoscale settings are shown")

        let cloned = try post("/clusters/mem/clone", ["target": "mem-copy", "scale": "0.5", "data": "empty"])
        #expect(cloned.status == 303 && cloned.headers["location"] == "/clusters/mem-copy", "\(cloned.status) \(cloned.body)")
        #expect(try h.status("mem-copy").instances.count == 1)
        #expect(try post("/clusters/mem/clone", ["target": "mem-copy-2", "scale": "lots"]).status == 400)
        for kind in ["instance.stopped", "instance.started", "instance.terminated", "snapshot.created"] {
            let recorded = try h.recipe(["events", "--cluster", "mem", "--kind", kind]).stdout
            #expect(recorded.contains("[token:root"), "\(kind) names who made it: \(recorded)")
        }

        let plan = try Curl.page("GET", url + "/clusters/mem/plan", cookie: admin)
        #expect(plan.status == 200 && plan.body.contains("mem: 0 to add, 0 to change, 0 to destroy"), "\(plan.body)")
        #expect(try h.recipe(["scale", "mem", "web", "3"]).code == 0)
        let diff = try Curl.page("GET", url + "/clusters/mem/plan", cookie: admin)
        #expect(diff.body.contains(#"<span class="remove">- instance web-3"#), "running the recipe again would end web-3: \(diff.body)")
        #expect(diff.body.contains(#"action="/clusters/mem/run""#), "an admin may run it")
        let graphs = try Curl.page("GET", url + "/clusters/mem/graphs?range=1h", cookie: admin)
        #expect(graphs.status == 200 && graphs.body.contains("<figcaption>queue_depth</figcaption>") && graphs.body.contains("<svg"), "\(graphs.body)")
        let usage = try Curl.page("GET", url + "/clusters/mem/usage", cookie: admin)
        #expect(usage.status == 200 && usage.body.contains("<td>mem/web</td>") && usage.body.contains("<td>declared</td>"), "\(usage.body)")
        let users = try Curl.page("GET", url + "/users", cookie: admin)
        #expect(users.status == 200 && users.body.contains("mem show"), "\(users.body)")
        #expect(try post("/users", ["name": "dana"]).status == 303)
        #expect(try post("/users/dana/grants", ["cluster": "mem", "level": "deploy"]).status == 303)
        #expect(try h.recipe(["user", "list"]).stdout.contains("dana"))

        // a show-level user: no button, and the API's 403 for a post anyway; no users page
        let sam = try signIn("sam")
        let seen = try Curl.page("GET", url + "/clusters/mem", cookie: sam.cookie)
        for action in ["/stop", "/replace", "/snapshot", "/clone"] { #expect(!seen.body.contains(action), "no \(action) for a show-level user") }
        #expect(try post("/clusters/mem/instances/web-1/stop", as: sam).status == 403)
        #expect(try post("/clusters/mem/clone", ["target": "sams"], as: sam).status == 403)
        #expect(try web("web-1")?.state == "online")
        #expect(try Curl.page("GET", url + "/users", cookie: sam.cookie).status == 403)
        #expect(try post("/users", ["name": "eve"], as: sam).status == 403)
        let samsPlan = try Curl.page("GET", url + "/clusters/mem/plan", cookie: sam.cookie)
        #expect(samsPlan.status == 200 && samsPlan.body.contains("- instance web-3") && !samsPlan.body.contains(#"action="/clusters/mem/run""#),
                "a show-level user sees the plan, without the run button")

        for (name, html) in [("cluster", cluster.body), ("viewer's cluster", seen.body), ("plan", plan.body), ("plan with changes", diff.body), ("graphs", graphs.body),
                             ("usage", usage.body), ("users", users.body), ("deploys", try Curl.page("GET", url + "/clusters/mem/deploys", cookie: admin).body)] {
            let verdict = try Self.tidy(html)
            #expect(verdict.isEmpty, "\(name): \(verdict)")
        }
    }

    /// Signs in as a browser does: the form (and its cookie) first, then the post with both.
    static func signIn(_ url: String, token: String) throws -> Curl.Page {
        let form = try Curl.page("GET", url + "/signin")
        let cookie = String((form.headers["set-cookie"] ?? "").prefix { $0 != ";" })
        let csrf = try #require(form.body.firstMatch(of: /name="csrf" value="([^"]+)"/)?.output.1).description
        return try Curl.page("POST", url + "/signin", cookie: cookie, form: ["token": token, "csrf": csrf])
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
