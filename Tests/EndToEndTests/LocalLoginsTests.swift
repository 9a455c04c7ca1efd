import Foundation
import Testing

/// Issue 14, point 4, locally: a local instance's agent makes the same login files inside the
/// instance's root as a remote agent makes on its machine, and takes a dropped user's back
/// within 10 s of the change.
@Suite struct LocalLoginsTests {
    @Test func aLocalInstanceGetsTheClustersLoginsInItsRootAndLosesADroppedOne() throws {
        let h = try Harness()
        defer { h.cleanup() }
        func recipe(alice: Bool) throws -> String {
            try h.write("crew.lua", """
                cluster "crew" {
                  layers = { web = { count = 1 } },
                  users = {
                    \(alice ? #"alice = { role = "manage", ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDg+BnKurSNp+CGTkyZlh6akkf9km7MV1gSAmH5OE6/P alice@example", sudo = true },"# : "")
                    bob = { role = "show", ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMiuinh3pkgNRfmu+RN6m0sd+Thuzgu5eOeUvPLGiKHY bob@example" },
                    carol = { role = "deny", ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMiuinh3pkgNRfmu+RN6m0sd+Thuzgu5eOeUvPLGiKHY carol@example" },
                  },
                }
                """)
        }
        #expect(try h.recipe(["run", try recipe(alice: true)]).code == 0)
        let web = try #require(try h.status("crew").instances.first)
        let root = h.home.appendingPathComponent("local/instances/\(web.id)")
        func file(_ path: String) -> String? { try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }
        let granted = Harness.eventually(timeout: 10) { file("home/alice/.ssh/authorized_keys") != nil && file("home/bob/.ssh/authorized_keys") != nil }
        #expect(granted != nil, "\(h.logText())")
        #expect(file("home/alice/.ssh/authorized_keys") == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDg+BnKurSNp+CGTkyZlh6akkf9km7MV1gSAmH5OE6/P alice@example\n")
        #expect(file("etc/sudoers.d/recipe-alice") == "alice ALL=(ALL) NOPASSWD:ALL\n")
        #expect(file("etc/sudoers.d/recipe-bob") == nil, "bob has no sudo")
        #expect(file("home/carol/.ssh/authorized_keys") == nil, "a denied user gets no login")

        #expect(try h.recipe(["run", try recipe(alice: false)]).code == 0)
        let dropped = Date()
        let revoked = Harness.eventually(timeout: 20) { file("home/alice/.ssh/authorized_keys") == nil && file("etc/sudoers.d/recipe-alice") == nil }
        #expect(revoked != nil, "alice's key and sudo are gone")
        #expect(Date().timeIntervalSince(dropped) <= 10, "within 10 s of the change: \(Date().timeIntervalSince(dropped)) s")
        #expect(file("home/bob/.ssh/authorized_keys") != nil, "bob keeps his")
    }
}
