import Foundation
import TestSupport
import Store
import Testing

/// The recipe surface as a whole: the prelude's modules cannot be replaced from a recipe's folder,
/// every kind of hook gets the same event, and docs/lua.md says what the Stdlib says.
@Suite struct LuaSurfaceTests {
    @Test func filesBesideARecipeNamedLikeThePreludesModulesDoNotReplaceThem() throws {
        let h = try Harness()
        defer { h.cleanup() }
        for name in ["core", "cluster", "event", "hooks", "instance", "recipe/cluster"] {
            _ = try h.write("\(name).lua", "error('\(name).lua beside the recipe was loaded')\n")
        }
        let recipe = try h.write("uses.lua", """
            local c = cluster "empty" { layers = { web = { count = 0 } } }
            on("setup", function() end)
            log.info("layer web has %d instances", c:layer("web").count)
            """)
        let output = try h.recipe(["run", recipe])
        #expect(output.code == 0, "\(output.stderr)")
        #expect(output.stdout.contains("[info] layer web has 0 instances"), "\(output.stdout)")
    }

    @Test func everyKindOfHookGetsTheSameEventShape() throws {
        let h = try Harness()
        defer { h.cleanup() }
        // each hook logs the fields it got, whether its instance has methods and its attributes are read-only
        let recipe = try h.write("shape.lua", """
            local known = { kind = 1, cluster = 1, layer = 1, instance = 1, target = 1, reason = 1, app = 1, attributes = 1,
                            subject = 1, detail = 1, attempt = 1, due = 1, id = 1, time = 1, actor = 1, result = 1 }
            local function shape(e)
              local keys = {}
              for k in pairs(e) do
                if not known[k] then error("unexpected field " .. tostring(k)) end
                keys[#keys + 1] = k
              end
              table.sort(keys)
              local readonly = e.attributes == nil or not pcall(function() e.attributes.tier = "x" end)
              log.info("shape %s: %s; methods %s; tier %s; read-only %s", e.kind, table.concat(keys, ","),
                tostring(e.instance ~= nil and e.instance.refresh ~= nil), tostring(e.attributes and e.attributes.tier),
                tostring(readonly))
            end
            cluster "shape" {
              attributes = { tier = "cluster" },
              layers = { web = { count = 1, attributes = { tier = "web" }, on = { setup = shape } } },
            }
            on("configure", shape)
            on("probe.shape", shape)
            every("1s", shape)
            when{ cluster = "shape", layer = "web", metric = "probe", above = 1 }(shape)
            """)
        let run = try h.recipe(["run", recipe])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains(
            "shape setup: attributes,cluster,instance,kind,layer,reason,subject; methods true; tier web; read-only true"),
            "\(run.stdout)")
        #expect(run.stdout.contains("shape configure: attributes,cluster,instance,kind,layer,reason,subject; methods true"))

        let serve = try h.serve()
        #expect(try h.recipe(["emit", "shape", "probe.shape", "--subject", "web-1", "--detail", "a probe"]).code == 0)
        let log = h.home.appendingPathComponent("serve.log")
        let seen = { (prefix: String) in
            Harness.eventually(timeout: 15) {
                _ = try? h.recipe(["metrics", "put", "shape", "web-1", "probe", "5"])
                return (try? String(contentsOf: log, encoding: .utf8))?.contains(prefix) == true
            } != nil
        }
        #expect(seen("shape probe.shape: actor,attempt,attributes,cluster,detail,due,id,instance,kind,layer,result,subject,time; methods true; tier web; read-only true"))
        #expect(seen("shape timer: attempt,cluster,due,kind; methods false; tier nil"))
        #expect(seen("shape alarm.fired: actor,attempt,attributes,cluster,detail,due,id,kind,layer,result,subject,time; methods false; tier web"))
        h.stop(serve)
        #expect(!((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("unexpected field"))
    }

    @Test func theReferencePageIsUpToDate() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "tools/luadoc.py", "--check"]
        process.currentDirectoryURL = Harness.repo
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try Launch.run(process)
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "docs/lua.md or a --- block: \(said)")
    }
}
