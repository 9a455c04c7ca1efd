import Foundation
import Testing

/// Bad recipes exit non-zero with `path/file.lua:LINE: message` and change nothing.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var source: String
        var line: Int
        var says: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "syntax", source: "local x = 1\nlocal y = = 2\n", line: 2, says: "unexpected symbol"),
        Case(name: "runtime", source: "local t = nil\n\nprint(t.field)\n", line: 3, says: "attempt to index a nil value"),
        Case(name: "count", source: "cluster \"bad\" {\n  layers = { web = { count = \"three\" } },\n}\n", line: 2,
             says: "layer web: count must be a whole number, got string \"three\""),
        Case(name: "negative", source: "\ncluster \"bad\" { layers = { web = { count = -1 } } }\n", line: 2,
             says: "layer web: count must be between 0"),
        Case(name: "mount", source: "cluster \"bad\" { layers = { web = { volumes = { d = { size_gb = 1, mount = \"/../../etc\" } } } } }\n",
             line: 1, says: "must be an absolute path inside the instance root"),
        Case(name: "unknown-field", source: "cluster \"bad\" { layers = { web = { cont = 3 } } }\n", line: 1,
             says: "layer web: unknown field 'cont'"),
        Case(name: "firewall-layer", source: "cluster \"bad\" {\n  layers = { web = {} },\n  firewall = { web = { { port = 80, from = \"db\" } } },\n}\n",
             line: 3, says: "firewall web: rule 1: from 'db' is neither a CIDR block nor a layer of this cluster"),
        Case(name: "hook-name", source: "cluster \"bad\" { layers = { web = { on = { setpu = function() end } } } }\n", line: 1,
             says: "layer web: unknown hook 'setpu'"),
        Case(name: "on-name", source: "\non(\"stup\", function() end)\n", line: 2, says: "on: unknown hook 'stup'"),
        Case(name: "missing-module", source: "-- needs a cookbook\nlocal m = require \"no_such_cookbook\"\n", line: 2,
             says: "module 'no_such_cookbook' not found"),
        Case(name: "escape", source: "local m = require \"../../etc/passwd\"\n", line: 1, says: "cannot leave the search roots"),
        Case(name: "os-execute", source: "\nos.execute(\"touch /tmp/recipe-sandbox-escaped\")\n", line: 2, says: "os.execute is not available"),
        Case(name: "io-open", source: "local f = io.open(\"/etc/passwd\")\n", line: 1, says: "io.open is not available"),
        Case(name: "io-popen", source: "local f = io.popen(\"id\")\n", line: 1, says: "io.popen is not available"),
        Case(name: "loadlib", source: "package.loadlib(\"libc.so.6\", \"system\")\n", line: 1, says: "package.loadlib is not available"),
        Case(name: "bytecode", source: "local f = load(\"\\27LuaT\\0\")\n", line: 1, says: "loading bytecode is not allowed"),
        Case(name: "sethook", source: "debug.sethook(function() end, \"l\")\n", line: 1, says: "debug.sethook is not available"),
        // the settings of the cookbooks a declaration names, checked with the declaration
        Case(name: "backups-typo", source: "local n = 1\ncluster \"bad\" {\n  layers = { web = {} },\n  backups = { web = { evrey = \"5s\" } },\n}\n",
             line: 4, says: "cluster bad: backups.web: unknown field 'evrey' (known: every, keep)"),
        Case(name: "backups-keep", source: "cluster \"bad\" { layers = { web = {} }, backups = { web = { keep = 0 } } }\n", line: 1,
             says: "cluster bad: backups.web: keep must be between 1 and 10000, got 0"),
        Case(name: "backups-every", source: "cluster \"bad\" { layers = { web = {} }, backups = { web = { every = \"soon\" } } }\n", line: 1,
             says: "cluster bad: backups.web: every: 'soon' is not a duration above zero"),
        Case(name: "autoscale-typo", source: "\ncluster \"bad\" { layers = { web = { autoscale = { mertic = \"cpu\" } } } }\n", line: 2,
             says: "layer web: autoscale: unknown field 'mertic' (known: cooldown, down, max, metric, min, schedule, stat, up)"),
        Case(name: "autoscale-above", source: "cluster \"bad\" { layers = { web = { autoscale = { metric = \"cpu\", up = { above = \"70%\" } } } } }\n",
             line: 1, says: "layer web: autoscale: up.above must be a number"),
        Case(name: "autoscale-step", source: "cluster \"bad\" { layers = { web = { autoscale = { metric = \"cpu\", down = { below = 5, remve = 1 } } } } }\n",
             line: 1, says: "layer web: autoscale: down: unknown field 'remve' (known: below, remove, sustain)"),
        Case(name: "autoscale-bounds", source: "cluster \"bad\" { layers = { web = { autoscale = { metric = \"cpu\", up = { above = 1 }, min = 5, max = 2 } } } }\n",
             line: 1, says: "layer web: autoscale: min (5) is above max (2)"),
        Case(name: "autoscale-days", source: "cluster \"bad\" { layers = { web = { autoscale = { metric = \"cpu\",\n  schedule = { { days = \"mon-fry\", from = \"08:00\", to = \"20:00\", count = 2 } } } } } }\n",
             line: 2, says: "layer web: autoscale: schedule[1].days: 'mon-fry' is not days"),
        Case(name: "autoscale-time", source: "cluster \"bad\" { layers = { web = { autoscale = { metric = \"cpu\",\n  schedule = { { from = \"8h\", to = \"20:00\", count = 2 } } } } } }\n",
             line: 2, says: "layer web: autoscale: schedule[1].from must be a time HH:MM"),
        Case(name: "autoscale-empty", source: "cluster \"bad\" { layers = { web = { autoscale = { metric = \"cpu\" } } } }\n", line: 1,
             says: "layer web: autoscale needs up, down or schedule"),
        // cookbooks called directly name the caller's line, not a line of Stdlib
        Case(name: "haproxy-typo", source: "local haproxy = require \"haproxy\"\n\nlocal hooks = haproxy.hooks { listen = 8080, backnd = \"web\" }\n",
             line: 3, says: "haproxy.hooks: unknown option 'backnd' (known: backend, drain_timeout, health, listen, port)"),
        Case(name: "haproxy-missing", source: "local haproxy = require \"haproxy\"\nlocal configure = haproxy.configure { listen = 8080 }\n",
             line: 2, says: "haproxy.configure: backend is required"),
        Case(name: "backup-watch", source: "local backup = require \"backup\"\nbackup.watch(\"shop\", \"db\", { evrey = \"1h\" })\n",
             line: 2, says: "backups.db: unknown field 'evrey' (known: every, keep)"),
        Case(name: "autoscale-watch", source: "local autoscale = require \"autoscale\"\n\nautoscale.watch(\"shop\", \"web\", { metric = \"cpu\",\n  schedule = { { from = \"8\", to = \"9:00\" } } })\n",
             line: 3, says: "autoscale.schedule: time '8' is not HH:MM"),
        // the prelude's own modules: no recipe reaches them with require, errors inside them name the recipe line
        Case(name: "internal-module", source: "local m = require \"recipe.instance\"\n", line: 1, says: "module 'recipe.instance' not found"),
        Case(name: "no-cluster", source: "-- nothing declared yet\nlocal v = volume.create{ size_gb = 1 }\n", line: 2, says: "no cluster given"),
        Case(name: "no-such-cluster", source: "local function get()\n  return cluster.get(\"nowhere\"), 1\nend\nget()\n", line: 2,
             says: "no cluster named nowhere"),
    ]

    @Test(arguments: cases)
    func refusedWithFileAndLine(_ c: Case) throws {
        try Self.expectRefused(c)
    }

    /// The recipe fails with exit 1 at its `file.lua:LINE:`, saying what it should, and launches nothing.
    static func expectRefused(_ c: Case) throws {
        let h = try Harness()
        defer { h.cleanup() }
        let path = try h.write("\(c.name).lua", c.source)
        let output = try h.recipe(["run", path])
        #expect(output.code == 1, "\(c.name): exit \(output.code)")
        #expect(!output.signalled)
        #expect(output.stderr.contains("\(c.name).lua:\(c.line): "), "\(c.name): \(output.stderr)")
        #expect(output.stderr.contains(c.says), "\(c.name): \(output.stderr)")
        #expect(h.agentPIDs().isEmpty, "nothing was launched")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/recipe-sandbox-escaped"))
    }

    @Test func timeLimitStopsALoopThatPcallCannotCatch() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let path = try h.write("spin.lua", """
            local n = 0
            while true do
              pcall(function() while true do n = n + 1 end end)
            end
            """)
        let start = Date()
        let output = try h.recipe(["run", path, "--time-limit", "1"], timeout: 20)
        #expect(Date().timeIntervalSince(start) < 8)
        #expect(output.code == 1)
        #expect(output.stderr.contains("spin.lua:"), "\(output.stderr)")
        #expect(output.stderr.contains("time limit exceeded"), "\(output.stderr)")
    }

    @Test func memoryCapEndsARunCleanly() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let path = try h.write("hog.lua", """
            local t = {}
            for i = 1, 1e6 do
              t[#t + 1] = string.rep("x", 1e6) .. i
            end
            """)
        let output = try h.recipe(["run", path, "--memory-limit", "64"], timeout: 60)
        #expect(output.code == 1)
        #expect(!output.signalled)
        #expect(output.stderr.contains("hog.lua:3: memory limit of 64 MiB exceeded"), "\(output.stderr)")
    }

    @Test func badArgumentsAreRefused() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let output = try h.recipe(["run", "Examples/webapp/cluster.lua", "web"])
        #expect(output.code != 0)
        #expect(output.stderr.contains("KEY=VALUE"))
        #expect(try h.recipe(["run", "no/such/recipe.lua"]).code != 0)
    }
}
