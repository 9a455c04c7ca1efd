import Foundation
import Testing

/// Issue 11, point 6: an error about a field names the recipe line where the field is written,
/// at any depth, and a cookbook's misuse names the user's line, not one of Stdlib.
@Suite struct ErrorLineTests {
    typealias Case = BadInputTests.Case

    /// One multi-line recipe, broken one field at a time: `@` marks the line of the bad field.
    static let recipe = """
        local haproxy = require "haproxy"
        cluster "lines" {
          layers = {
            lb = { count = 1,
                   on = haproxy.hooks { listen = 8080, backend = "web" } },
            web = { count = @COUNT,
                    @FIELD
                    volumes = { data = { size_gb = 1,
                                         mount = @MOUNT } },
                    autoscale = { metric = "cpu",
                                  up = { above = 70, sustain = @SUSTAIN },
                                  schedule = { { days = "mon-fri", from = "08:00", to = "20:00", count = 2 },
                                               { days = @DAYS, from = "08:00", to = "20:00", count = 2 } } },
                    apps = { "shop" } },
          },
          firewall = {
            web = { { port = 8000, from = "lb" },
                    { port = 8001,
                      from = @FROM } },
          },
          apps = {
            shop = { start = "python3 server.py",
                     port = @PORT },
          },
          backups = {
            web = { @EVERY = "1h" },
          },
        }
        """

    /// The recipe with every placeholder good but `bad`, which gets `value`.
    static func source(_ bad: String, _ value: String) -> String {
        let good = ["COUNT": "2", "FIELD": "", "MOUNT": "\"/srv/data\"", "SUSTAIN": "\"1m\"", "DAYS": "\"sat,sun\"",
                    "FROM": "\"0.0.0.0/0\"", "PORT": "8000", "EVERY": "every"]
        return good.reduce(recipe) { text, entry in
            text.replacingOccurrences(of: "@\(entry.key)", with: entry.key == bad ? value : entry.value)
        }
    }

    static func line(of placeholder: String) -> Int {
        recipe.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("@\(placeholder)") }! + 1
    }

    static let cases: [Case] = [
        Case(name: "point6-typo", source: source("FIELD", "cuont = 3,"), line: line(of: "FIELD"),
             says: "layer web: unknown field 'cuont'"),
        Case(name: "point6-type", source: source("COUNT", "\"two\""), line: line(of: "COUNT"),
             says: "layer web: count must be a whole number, got string \"two\""),
        Case(name: "point6-volume", source: source("MOUNT", "\"/../etc\""), line: line(of: "MOUNT"),
             says: "layer web: volume data: mount '/../etc' must be an absolute path"),
        Case(name: "point6-autoscale", source: source("SUSTAIN", "\"soon\""), line: line(of: "SUSTAIN"),
             says: "layer web: autoscale: up.sustain: 'soon' is not a duration"),
        Case(name: "point6-schedule", source: source("DAYS", "\"mon-fry\""), line: line(of: "DAYS"),
             says: "layer web: autoscale: schedule[2].days: 'mon-fry' is not days"),
        Case(name: "point6-firewall", source: source("FROM", "\"db\""), line: line(of: "FROM"),
             says: "firewall web: rule 2: from 'db' is neither a CIDR block nor a layer of this cluster"),
        Case(name: "point6-app-port", source: source("PORT", "\"x\""), line: line(of: "PORT"),
             says: "app shop: port must be a whole number, got string \"x\""),
        Case(name: "point6-backups", source: source("EVERY", "evrey"), line: line(of: "EVERY"),
             says: "cluster lines: backups.web: unknown field 'evrey' (known: every, keep)"),
        // a spec built in code is not in the text: the declaration's own line
        Case(name: "point6-built", source: "local spec = { layers = { web = { count = \"x\" } } }\n\ncluster \"built\" (spec)\n",
             line: 3, says: "layer web: count must be a whole number"),
        // cookbooks: their misuse names the line that called them, past Stdlib's own frames
        Case(name: "point6-cookbook-option", source: "local haproxy = require \"haproxy\"\ncluster \"lb\" {\n  layers = {\n"
                 + "    lb = { on = haproxy.hooks { listen = 8080,\n                                backnd = \"web\" } },\n  },\n}\n",
             line: 4, says: "haproxy.hooks: unknown option 'backnd'"),
        Case(name: "point6-cookbook-primitive", source: "local backup = require \"backup\"\n\nbackup.watch(\"shop\", \"db\", { every = \"often\" })\n",
             line: 3, says: "every: 'often' is not a duration"),
        Case(name: "point6-cookbook-when", source: "local autoscale = require \"autoscale\"\nautoscale.watch(\"nowhere\", \"web\", { metric = \"cpu\", up = { above = 70 } })\n",
             line: 2, says: "no cluster named nowhere"),
    ]

    @Test(arguments: cases)
    func point6_anErrorNamesTheLineOfItsField(_ c: Case) throws {
        try BadInputTests.expectRefused(c)
    }

    @Test func point6_theWholeRecipeIsGoodWithNothingBroken() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let output = try h.recipe(["plan", try h.write("lines.lua", Self.source("", ""))])
        #expect(output.code == 2, "\(output.stderr)")
        #expect(!output.stderr.contains("Stdlib/"), "\(output.stderr)")
    }
}
