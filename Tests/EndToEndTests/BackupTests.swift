import Foundation
import LocalCloud
import Store
import Testing

/// Stdlib/backup snapshots a layer's volumes on schedule and keeps `keep`; Recipes/restore.lua
/// puts a chosen snapshot back, keeping a snapshot of what it replaces.
@Suite struct BackupTests {
    @Test func scheduledSnapshotsArePrunedAndOneCanBeRestored() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("kept.lua", """
            cluster "kept" {
              layers = { db = { count = 1, volumes = { data = { size_gb = 1, mount = "/srv/data" } } } },
              backups = { db = { every = "1s", keep = 2 } },
            }
            """)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let db = try #require(try h.status("kept").instances.first)
        let file = { h.home.appendingPathComponent("local/instances/\(try h.status("kept").instances.first!.id)/srv/data/state.txt") }
        try "first".write(to: file(), atomically: true, encoding: .utf8)

        let serve = try h.start(["serve"])
        let store = try Store(home: h.home)
        #expect(Harness.eventually(timeout: 10) { ((try? store.events(kind: "backup.done").count) ?? 0) >= 3 } != nil)
        h.stop(serve)
        let snapshots = try LocalInventory(store: store).snapshots(cluster: "kept")
        #expect(snapshots.count == 2, "keep = 2 (\(snapshots.count) left)")
        #expect(try store.events(kind: "snapshot.deleted").count >= 1)

        // the newest snapshot holds "first"; the volume moves on, then gets it back
        let chosen = try #require(snapshots.max { $0.createdAt < $1.createdAt })
        try "second".write(to: file(), atomically: true, encoding: .utf8)
        let restored = try h.recipe(["run", "Recipes/restore.lua", "cluster=kept", "instance=\(db.name)", "snapshot=\(chosen.id)"])
        #expect(restored.code == 0, "\(restored.stderr)")
        #expect(try String(contentsOf: file(), encoding: .utf8) == "first")
        #expect(try LocalInventory(store: store).snapshots(cluster: "kept").count == 3, "what it replaced was snapshotted first")
        #expect(try h.recipe(["plan", recipe]).code == 0, "the restored volume is the slot's volume: nothing to change")
    }
}
