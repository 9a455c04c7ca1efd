import Foundation
import Testing

/// Issue 11, point 11: the small things a user expects of a command-line tool.
@Suite struct SmallThingsTests {
    @Test func point11_versionHomeBeforeTheSubcommandAndAnEmptyStatus() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let version = try h.recipe(["--version"])
        #expect(version.code == 0, "\(version.stderr)")
        #expect(version.stdout.range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression) != nil, "\(version.stdout)")

        let other = h.home.appendingPathComponent("other-home").path
        let empty = try h.recipe(["--home", other, "status"])
        #expect(empty.code == 0, "\(empty.stderr)")
        #expect(empty.stdout.contains("no clusters in \(other); recipe run FILE makes one"), "\(empty.stdout)")
        #expect(FileManager.default.fileExists(atPath: other + "/state.db"), "--home before the subcommand is the home")
        #expect(try h.recipe(["--home=\(other)", "status", "--json"]).stdout.contains("\"clusters\" : ["))
    }

    @Test func point11_completionIsDocumentedAndGenerated() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let script = try h.recipe(["--generate-completion-script", "bash"])
        #expect(script.code == 0 && script.stdout.contains("_recipe"), "\(script.stderr)")
        let readme = try String(contentsOf: Harness.repo.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("recipe --generate-completion-script bash"))
    }

    @Test func point11_emitNamingAnUnknownClusterIsRefused() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let output = try h.recipe(["emit", "nowhere", "app.ready"])
        #expect(output.code == 1)
        #expect(output.stderr.contains("no cluster named nowhere"), "\(output.stderr)")
    }

    @Test func point11_primitivesTakeAnInstanceByNameAndMetricsReadAsATable() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("names.lua", """
            cluster "names" { layers = { web = { count = 1 } } }
            write("web-1", "/etc/greeting", "hello")
            local r = run("web-1", "cat etc/greeting")
            assert(r.code == 0 and r.stdout == "hello", "run by name: " .. tostring(r.stdout))
            assert(instance.get("web-1").name == "web-1")
            metric.put("web-1", "requests", 12.345)
            log.info("by name: %s", r.stdout)
            """)
        let output = try h.recipe(["run", recipe])
        #expect(output.code == 0, "\(output.stderr)")
        #expect(output.stdout.contains("by name: hello"), "\(output.stdout)")

        let table = try h.recipe(["metrics", "names", "--name", "requests"])
        #expect(table.code == 0, "\(table.stderr)")
        let row = table.stdout.split(separator: "\n").first { $0.hasPrefix("web-1") && $0.contains("requests") }
        #expect(row?.split(separator: " ").contains("12.3") == true, "latest, rounded: \(table.stdout)")
        #expect(table.stdout.contains("INSTANCE"), "\(table.stdout)")
        let all = try h.recipe(["metrics", "names", "--name", "requests", "--all"])
        #expect(all.code == 0 && all.stdout.contains("12.345"), "every sample: \(all.stdout)")
        let json = try h.recipe(["metrics", "names", "--name", "requests", "--json"])
        let samples = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(samples?.first?["value"] as? Double == 12.345, "\(json.stdout)")
    }
}
