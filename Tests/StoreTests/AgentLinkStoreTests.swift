import Cloud
import Foundation
import Testing
@testable import Store

/// Remote agents' standing (issue 14): a launch's bootstrap secret opens one token per instance it
/// started, once; the token names its instance and nothing more; a terminated instance's opens
/// nothing; a command is handed out once, acknowledged.
@Suite struct AgentLinkStoreTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("agents-\(UUID().uuidString.prefix(8))")

    @Test func aBootstrapSecretOpensOneTokenPerInstanceOnce() throws {
        let store = try Store(home: home)
        defer { try? FileManager.default.removeItem(at: home) }
        try store.bindBootstrap("rcb_launch", instances: ["i-1", "i-2"], cluster: "fleet", interval: 5)
        func register(_ instance: String, _ secret: String) -> Result<String, AuthenticationFailure> {
            Result { try store.registerAgent(AgentDocuments.Registration(instance: instance, bootstrap: secret, host: "linux x86_64 test")).token }
                .mapError { $0 as? AuthenticationFailure ?? AuthenticationFailure(reason: "\($0)") }
        }
        #expect(throws: AuthenticationFailure.self) { try register("i-1", "rcb_wrong").get() }
        #expect(throws: AuthenticationFailure.self) { try register("i-9", "rcb_launch").get() }
        let first = try register("i-1", "rcb_launch").get()
        let second = try register("i-2", "rcb_launch").get()
        #expect(first.hasPrefix("rca_") && first != second)
        if case .failure(let spent) = register("i-1", "rcb_launch") {
            #expect(spent.reason.contains("used already"))
        } else {
            Issue.record("a spent bootstrap secret opened a second token")
        }
        #expect(try store.authenticate(token: first).get() == .agent(instanceID: "i-1"))
        #expect(try store.agentLink("i-1")?.host == "linux x86_64 test")
        let refused = try store.events(cluster: "fleet", after: 0).filter { $0.kind == "agent.refused" }
        #expect(refused.count == 2, "the wrong secret and the spent one; an unknown instance has no cluster: \(refused.map(\.detail))")
        let kept = try Data(contentsOf: home.appendingPathComponent("state.db"))
        #expect(kept.range(of: Data(first.utf8)) == nil && kept.range(of: Data("rcb_launch".utf8)) == nil, "hashes only")

        try store.forgetAgentLinks(["i-1"])
        guard case .failure = try store.authenticate(token: first) else {
            Issue.record("a terminated instance's token still opens something")
            return
        }
    }

    @Test func aCommandIsHandedOutOnceAndAcknowledged() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        let id = try store.enqueueCommand(instance: "i-1", command: "cat", timeout: 5, kind: .write, path: "/etc/x")
        let taken = try store.claimCommands(instance: "i-1")
        #expect(taken.map(\.id) == [id] && taken.first?.kind == .write && taken.first?.path == "/etc/x")
        #expect(taken.first?.acknowledgedAt != nil && taken.first?.state == .running)
        #expect(try store.claimCommands(instance: "i-1").isEmpty, "asked again, nothing: it was handed out")
        #expect(try store.claimCommands(instance: "i-2").isEmpty)
    }

    @Test func silentMeansThreeMissedHeartbeats() throws {
        let now = Date()
        var link = AgentLink(instanceID: "i-1", cluster: "c", interval: 5, createdAt: now)
        #expect(!link.isSilent(at: now.addingTimeInterval(3600), answeredSince: now), "never registered: booting, not silent")
        link.registeredAt = now
        link.heartbeatAt = now.addingTimeInterval(10)
        #expect(!link.isSilent(at: now.addingTimeInterval(24), answeredSince: now))
        #expect(link.isSilent(at: now.addingTimeInterval(26), answeredSince: now))
        #expect(!link.isSilent(at: now.addingTimeInterval(26), answeredSince: nil), "no controller runs: nobody could hear it")
        #expect(!link.isSilent(at: now.addingTimeInterval(26), answeredSince: now.addingTimeInterval(20)),
                "a controller back 6 s ago gives the agent three beats to find it")
    }

    @Test func theLoginsOfAnInstanceAreItsClustersUsersWithAKeyAndNotDenied() throws {
        let store = try TestState.store(home)
        defer { try? FileManager.default.removeItem(at: home) }
        try store.bindBootstrap("rcb_x", instances: ["i-1"], cluster: "crew", interval: 5)
        try store.saveAccess(cluster: "crew", firewall: [], users: [
            UserRecord(cluster: "crew", name: "alice", role: "manage", sshKey: "ssh-ed25519 AAAA alice", sudo: true),
            UserRecord(cluster: "crew", name: "carol", role: "show", sshKey: nil, sudo: false),
            UserRecord(cluster: "crew", name: "dan", role: "deny", sshKey: "ssh-ed25519 AAAA dan", sudo: false),
        ])
        try store.saveAccess(cluster: "other", firewall: [], users: [
            UserRecord(cluster: "other", name: "eve", role: "manage", sshKey: "ssh-ed25519 AAAA eve", sudo: true),
        ])
        #expect(try store.machineUsers(instance: "i-1") == [AgentDocuments.MachineUser(name: "alice", sshKey: "ssh-ed25519 AAAA alice", sudo: true)])
        #expect(try store.machineUsers(instance: "i-9").isEmpty, "an instance with no agent link has no logins")
    }
}
