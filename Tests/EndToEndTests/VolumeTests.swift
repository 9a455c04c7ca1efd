import Foundation
import Testing

/// Volumes, snapshots and elastic IPs through the Lua primitives, on real agents.
@Suite struct VolumeTests {
    @Test func fileSurvivesSnapshotRestoreAndAttachToAnotherInstance() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let path = try h.write("volumes.lua", """
            cluster "vols" {
              layers = { app = { count = 2, volumes = { data = { size_gb = 1, mount = "/srv/data" } } } },
            }
            local a, b = table.unpack(instance.list{ cluster = "vols", layer = "app" })
            local wrote = run(a, "echo marker-$INSTANCE_ID > $ROOT/srv/data/marker")
            assert(wrote.code == 0, wrote.stderr)
            local original
            for _, v in ipairs(volume.list{ cluster = "vols" }) do
              if v.instance_id == a.id then original = v end
            end
            local snap = original:snapshot()
            assert(#snap.sha256 == 64, "a snapshot carries its SHA-256")
            local copy = snap:restore()
            copy:attach(b, "/srv/restored")
            local read = run(b, "cat srv/restored/marker")
            assert(read.stdout == "marker-" .. a.id .. "\\n", "restored: " .. read.stdout .. read.stderr)
            log.info("restored %s", read.stdout)
            """)
        let output = try h.recipe(["run", path])
        #expect(output.code == 0, "\(output.stderr)")
        #expect(output.stdout.contains("[info] restored marker-i-"))
        let vols = try h.status("vols")
        #expect(vols.volumes.count == 3)
        #expect(vols.volumes.filter { $0.mount == "/srv/restored" }.count == 1)
    }

    @Test func stopAndStartBringServicesDownAndUp() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let path = try h.write("lifecycle.lua", """
            cluster "life" {
              layers = { web = { count = 1, services = {
                http = { command = "python3 -m http.server $PORT --bind $ADDRESS", port = 8000 } } } },
            }
            local i = instance.list{ cluster = "life" }[1]
            i:stop()
            assert(i.state == "stopped", i.state)
            i:start()
            assert(i.state == "running", i.state)
            """)
        let output = try h.recipe(["run", path])
        #expect(output.code == 0, "\(output.stderr)")
        let web = try #require(try h.status("life").instances.first)
        #expect(web.health == "healthy")
        #expect(Harness.eventually(timeout: 5) { Harness.get("http://\(web.private_ip):8000/") != nil } != nil)
    }

    @Test func elasticIPForwardsToTheInstanceHoldingIt() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua", "web=2"]).code == 0)
        let path = try h.write("move.lua", """
            cluster "shop" { layers = {
              web = { count = 2, volumes = { data = { size_gb = 1, mount = "/srv/data" } },
                      services = { shop = { command = "python3 \(Harness.repo.path)/Examples/webapp/app/server.py", port = 8000 } } },
              lb = { count = 1, elastic_ip = true } } }
            local address = ip.allocate()
            address:associate(instance.list{ cluster = "shop", layer = "web" }[1])
            log.info("eip %s", address.ip)
            """)
        let output = try h.recipe(["run", path])
        #expect(output.code == 0, "\(output.stderr)")
        let shop = try h.status("shop")
        let web1 = try #require(shop.instances.first { $0.name == "web-1" })
        let eip = try #require(web1.public_ip)
        let answered = Harness.eventually(timeout: 5) { Harness.get("http://\(eip):8000/") == web1.id + "\n" }
        #expect(answered != nil, "the elastic IP \(eip) did not reach web-1")
    }
}
