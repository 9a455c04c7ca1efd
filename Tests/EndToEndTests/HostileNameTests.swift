import Foundation
import Testing

/// Issue 12, point 2: hostile names (shell metacharacters, `..`, a leading `-`, spaces, 300
/// characters, NUL) in each kind of name are refused with file:line (or, on the command line,
/// naming the argument) and have no side effect: the marker file the name would touch stays
/// absent, nothing is launched and no cluster is recorded.
@Suite struct HostileNameTests {
    /// A recipe whose MARKER is replaced by the marker file's path.
    typealias Case = BadInputTests.Case

    static let long = String(repeating: "a", count: 300)

    static let cases: [Case] = [
        Case(name: "cluster", source: "local x = 1\ncluster \"x; touch MARKER #\" { layers = { web = { count = 1 } } }\n", line: 2,
             says: "cluster 'x; touch MARKER #' is not a valid name"),
        Case(name: "cluster-long", source: "cluster \"\(long)\" { layers = { web = { count = 1 } } }\n", line: 1,
             says: "… (300 characters)' is not a valid name"),
        Case(name: "layer", source: "cluster \"ok\" {\n  layers = {\n    [\"web 1\"] = { count = 1 },\n  },\n}\n", line: 3,
             says: "layer 'web 1' is not a valid name"),
        Case(name: "app", source: """
            cluster "ok" {
              layers = { web = { count = 1 } },
              apps = {
                ["x; touch MARKER #"] = { source = "file:/tmp", start = "true" },
              },
            }
            """, line: 4, says: "app 'x; touch MARKER #' is not a valid name"),
        Case(name: "service", source: """
            cluster "ok" {
              layers = { web = { count = 1,
                services = { ["$(touch MARKER)"] = { command = "sleep 100" } } } },
            }
            """, line: 3, says: "service '$(touch MARKER)' is not a valid name"),
        Case(name: "user", source: "cluster \"ok\" {\n  layers = { web = { count = 1 } },\n  users = { [\"../../etc\"] = { role = \"show\" } },\n}\n",
             line: 3, says: "user '../../etc' is not a valid name"),
        Case(name: "volume", source: """
            cluster "ok" {
              layers = { web = { count = 1,
                volumes = { ["-rf"] = { size_gb = 1, mount = "/srv/data" } } } },
            }
            """, line: 3, says: "volume '-rf' is not a valid name"),
        Case(name: "nul", source: "cluster \"ok\" {\n  layers = { [\"web\\0x\"] = { count = 1 } },\n}\n", line: 2,
             says: "layer 'web\\u{0}x' is not a valid name"),
        Case(name: "ref", source: """
            cluster "ok" {
              layers = { web = { count = 1, apps = { "shop" } } },
              apps = { shop = { source = "git+file:/tmp",
                                ref = "--upload-pack=touch MARKER", start = "true" } },
            }
            """, line: 4, says: "ref '--upload-pack=touch MARKER' must not start with '-'"),
        Case(name: "snapshot", source: "cluster \"ok\" { layers = { web = { count = 0 } } }\nlocal v = volume.create{ size_gb = 1, snapshot = \"../x; touch MARKER\" }\n",
             line: 2, says: "snapshot id '../x; touch MARKER' is not a valid name"),
        Case(name: "launch-name", source: "cluster \"ok\" { layers = { web = { count = 0 } } }\nlocal i = instance.launch{ layer = \"web\", name = \"web 1; touch MARKER\" }\n",
             line: 2, says: "instance 'web 1; touch MARKER' is not a valid name"),
    ]

    @Test(arguments: cases)
    func refusedWithFileAndLineAndNoSideEffect(_ c: Case) throws {
        let h = try Harness()
        defer { h.cleanup() }
        let marker = h.home.appendingPathComponent("owned-\(c.name)").path
        let path = try h.write("\(c.name).lua", c.source.replacingOccurrences(of: "MARKER", with: marker))
        let output = try h.recipe(["run", path])
        #expect(output.code == 1, "\(c.name): exit \(output.code)")
        #expect(output.stderr.contains("\(c.name).lua:\(c.line): "), "\(c.name): \(output.stderr)")
        #expect(output.stderr.contains(c.says.replacingOccurrences(of: "MARKER", with: marker)), "\(c.name): \(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the name ran nothing")
        #expect(h.agentPIDs().isEmpty, "nothing was launched")
        let status = try h.recipe(["status", "--json"]).stdout
        #expect(!status.contains("\"id\" : \"i-") && !status.contains("\"id\" : \"vol-"), "no instance or volume: \(status)")
    }

    @Test func hostileNamesOnTheCommandLineAreRefusedNamingTheArgument() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let marker = h.home.appendingPathComponent("owned").path
        for arguments in [["deploy", "shop; touch \(marker)", "shop"], ["deploy", "shop", "../\(marker)"],
                          ["destroy", "--yes", "--", "-rf"], ["status", "a b"], ["snapshot", "delete", "shop", "$(touch \(marker))"],
                          ["releases", "shop", String(repeating: "x", count: 300)]] {
            let output = try h.recipe(arguments)
            #expect(output.code != 0, "\(arguments): exit \(output.code)")
            #expect(output.stderr.contains("is not a valid name"), "\(arguments): \(output.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
