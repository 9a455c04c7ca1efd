import Foundation
import TestSupport
import Testing

/// Issue 13, point 1, on the real binary: `recipe serve` answers the API where it is safe to
/// (loopback, or TLS, or --insecure said out loud), and a deploy through it rolls out, is
/// streamed live as Server-Sent Events, and names its caller; a show-role token is refused.
@Suite struct ControllerTests {
    /// The URL `recipe serve` printed: `recipe serve: API on URL/api/v1 ...`.
    static func apiURL(_ h: Harness) throws -> String {
        var found: String?
        _ = Harness.eventually(timeout: 15) {
            found = h.logText().split(separator: "\n").first { $0.hasPrefix("recipe serve: API on ") }
                .map { String($0.dropFirst("recipe serve: API on ".count).prefix { $0 != " " }.dropLast("/api/v1".count)) }
            return found != nil
        }
        return try #require(found, "recipe serve printed no API address")
    }

    func token(_ h: Harness, _ user: String, admin: Bool = false) throws -> String {
        #expect(try h.recipe(["user", "add", user] + (admin ? ["--admin"] : [])).code == 0)
        let made = try h.recipe(["token", "create", user])
        #expect(made.code == 0, "\(made.stderr)")
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func itListensBeyondLoopbackOnlyWithTLSOrInsecure() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let open = try h.recipe(["serve", "--listen", "0.0.0.0:0"], timeout: 20)
        #expect(open.code != 0 && open.stderr.contains("is beyond loopback: give --tls-cert and --tls-key, or --insecure"), "\(open.stderr)")
        let half = try h.recipe(["serve", "--tls-cert", "/etc/hostname"], timeout: 20)
        #expect(half.code != 0 && half.stderr.contains("--tls-cert and --tls-key go together"), "\(half.stderr)")
        let bad = try h.recipe(["serve", "--listen", "localhost"], timeout: 20)
        #expect(bad.code != 0 && bad.stderr.contains("is not ADDRESS:PORT"), "\(bad.stderr)")

        let key = h.scratch.appendingPathComponent("key.pem").path, certificate = h.scratch.appendingPathComponent("cert.pem").path
        #expect(try h.sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout \(key) -out \(certificate) -days 1 -subj /CN=127.0.0.1 2>/dev/null") == 0)
        let admin = try token(h, "root", admin: true)
        let serve = try h.serve(["--listen", "127.0.0.1:0", "--tls-cert", certificate, "--tls-key", key])
        defer { h.stop(serve) }
        let url = try Self.apiURL(h)
        #expect(url.hasPrefix("https://127.0.0.1:"))
        let whoami = try Curl.request("GET", url + "/api/v1/whoami", token: admin, insecure: true)
        #expect(whoami.status == 200 && whoami.body.contains(#""actor" : "token:root…"#), "\(whoami)")
        let plain = try Curl.request("GET", url.replacingOccurrences(of: "https://", with: "http://") + "/api/v1/whoami", token: admin, timeout: 5)
        #expect(plain.status != 200, "a TLS listener does not answer in clear")
        let nobody = try Curl.request("GET", url + "/api/v1/clusters", insecure: true)
        #expect(nobody.status == 401 && nobody.body.contains("no token: send Authorization: Bearer TOKEN"), "\(nobody)")
        let document = try Curl.request("GET", url + "/api/v1/openapi.json", insecure: true)
        #expect(document.status == 200 && document.body.contains(#""openapi": "3.1.0""#))
    }

    @Test func aDeployThroughTheAPIRollsOutStreamsLiveAndNamesItsCaller() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let repo = try DeployTests.Repository(in: h.home)
        try repo.commit("v1")
        let recipe = try h.write("shop2.lua", """
            cluster "shop2" {
              apps = { shop = { source = "git+file:\(repo.path.path)", ref = "main", start = "python3 server.py",
                                port = 8000, health = "/", keep = 2, health_timeout = 5 } },
              layers = { web = { count = 2, apps = { "shop" } } },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let dave = try token(h, "dave"), sam = try token(h, "sam")
        #expect(try h.recipe(["grant", "dave", "shop2", "deploy"]).code == 0)
        #expect(try h.recipe(["grant", "sam", "shop2", "show"]).code == 0)
        let serve = try h.serve(["--listen", "127.0.0.1:0"])
        defer { h.stop(serve) }
        let url = try Self.apiURL(h)

        // a show-role token may look, not deploy; its attempt is recorded and nothing else happens
        let refused = try Curl.request("POST", url + "/api/v1/clusters/shop2/apps/shop/deploy", token: sam, json: "{}")
        #expect(refused.status == 403 && refused.body.contains("deploy on cluster shop2 needs deploy; token:sam…"), "\(refused)")
        let events = try h.recipe(["events", "--cluster", "shop2", "--kind", "api", "--json"])
        #expect(events.stdout.contains(#""kind":"api.refused""#) && events.stdout.contains(#""actor":"token:sam…"#), "\(events.stdout)")

        // the stream: what is recorded from now on, live
        let streamed = h.scratch.appendingPathComponent("stream.txt")
        let last = try Curl.request("GET", url + "/api/v1/clusters/shop2/events?limit=1", token: sam)
        let after = last.body.components(separatedBy: #""id" : "#).dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        let stream = try Curl.stream(url + "/api/v1/clusters/shop2/events/stream?kind=deploy&after=\(after)", token: sam, to: streamed)
        defer { kill(stream.processIdentifier, SIGKILL); stream.waitUntilExit() }

        try repo.commit("v2")
        let deployed = try Curl.request("POST", url + "/api/v1/clusters/shop2/apps/shop/deploy", token: dave, json: #"{"batch": "50%"}"#)
        #expect(deployed.status == 200 && deployed.body.contains(#""ref" : "main""#), "\(deployed)")
        #expect(try h.answers("shop2") == ["v2", "v2"])
        let live = Harness.eventually(timeout: 5) {
            let text = (try? String(contentsOf: streamed, encoding: .utf8)) ?? ""
            return text.contains("event: deploy.started") && text.contains("event: deploy.finished")
        }
        let text = (try? String(contentsOf: streamed, encoding: .utf8)) ?? ""
        #expect(live != nil, "the stream carried the deploy: \(text)")
        #expect(text.contains(#""actor":"token:dave…"#), "the deploy's events name its caller: \(text)")

        let releases = try Curl.request("GET", url + "/api/v1/clusters/shop2/apps/shop/releases", token: sam)
        #expect(releases.status == 200 && releases.body.contains(#""state" : "current""#), "\(releases)")
        let locked = try h.recipe(["events", "--cluster", "shop2", "--kind", "deploy.finished", "--json"])
        #expect(locked.stdout.contains(#""actor":"token:dave…"#), "\(locked.stdout)")
    }
}
