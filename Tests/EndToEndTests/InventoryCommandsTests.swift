import Foundation
import Testing

/// Issue 11, point 9: volumes and snapshots you can see and clean, and a destroy that says what it keeps.
@Suite struct InventoryCommandsTests {
    struct Listed: Decodable { var id: String }
    struct ListedSnapshot: Decodable { var id: String; var volumeID: String; var bytes: Int64 }

    @Test func point9_listDeleteAndDestroyKeepsOrDeletesSnapshots() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let path = try h.write("inv.lua", """
            cluster "inv" { layers = { app = { count = 1, volumes = { data = { size_gb = 1, mount = "/srv/data" } } } } }
            local v = volume.list{ cluster = "inv" }[1]
            v:snapshot(); v:snapshot()
            volume.create{ cluster = "inv", name = "spare", size_gb = 1 }
            """)
        let run = try h.recipe(["run", path])
        #expect(run.code == 0, "\(run.stderr)")

        let volumes = try JSONDecoder().decode([Listed].self, from: Data(try h.recipe(["volumes", "inv", "--json"]).stdout.utf8))
        #expect(volumes.count == 2)
        let table = try h.recipe(["volumes", "inv"]).stdout
        #expect(table.contains("detached") && table.contains("/srv/data"), "\(table)")

        let listed = try h.recipe(["snapshots", "inv", "--json"])
        let snapshots = try JSONDecoder().decode([ListedSnapshot].self, from: Data(listed.stdout.utf8))
        #expect(snapshots.count == 2 && snapshots.allSatisfy { $0.bytes > 0 }, "\(listed.stdout)")
        #expect(try h.recipe(["snapshots", "inv"]).stdout.contains(snapshots[0].id))

        // deleting goes through the engine: the spare volume and one snapshot
        let spare = try #require(volumes.first { v in !table.split(separator: "\n").contains { $0.contains(v.id) && $0.contains("/srv/data") } })
        #expect(try h.recipe(["volume", "delete", "inv", spare.id]).code == 0)
        #expect(try h.recipe(["snapshot", "delete", "inv", snapshots[0].id]).code == 0)
        #expect(try h.recipe(["snapshot", "delete", "inv", "snap-nope"]).code != 0)
        #expect(!(try h.recipe(["volumes", "inv"]).stdout.contains(spare.id)))
        #expect(!(try h.recipe(["snapshots", "inv"]).stdout.contains(snapshots[0].id)))

        // destroy says what it keeps, and where to find it
        let dry = try h.recipe(["destroy", "inv"])
        #expect(dry.stderr.contains("keep 1 snapshots"), "\(dry.stderr)")
        let destroyed = try h.recipe(["destroy", "inv", "--yes"])
        #expect(destroyed.stdout.contains("kept 1 snapshots: recipe snapshots inv lists them"), "\(destroyed.stdout)")
        #expect(try h.recipe(["snapshots", "inv"]).stdout.contains(snapshots[1].id))
        // and deletes them when told to
        let purged = try h.recipe(["destroy", "inv", "--yes", "--delete-snapshots"])
        #expect(purged.code == 0 && purged.stdout.contains("deleted 1 snapshots"), "\(purged.stdout)\(purged.stderr)")
        #expect(try h.recipe(["snapshots", "inv"]).stdout.contains("no snapshots"))
    }
}
