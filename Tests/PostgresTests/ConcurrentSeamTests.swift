import Cloud
import Foundation
import LocalCloud
import Synchronization
import Testing
@testable import Store

/// Callers at the same moment (HTTP handlers of one controller, or several controllers on one
/// PostgreSQL) on the seam, on both engines: what may happen once happens once. SQLite has one
/// writer at a time; PostgreSQL runs the writes side by side, so a check and the write it guards
/// must be one statement there.
@Suite(.serialized) struct ConcurrentSeamTests {
    /// Runs `body` `count` times at once; answers what each said ("ok", or the error).
    static func atOnce(_ count: Int, _ body: @Sendable (Int) throws -> Void) -> [String] {
        let said = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: count) { n in
            let outcome: String
            do {
                try body(n)
                outcome = "ok"
            } catch {
                outcome = "\(error)"
            }
            said.withLock { $0.append(outcome) }
        }
        return said.withLock { $0 }
    }

    @Test func agentsRegisteringAtOnceWithOneSecretGetOneToken() throws {
        try BothEngines.run { engine, store in
            let instances = (1...6).map { "i-\($0)" }
            try store.bindBootstrap("rcb_launch", instances: instances, cluster: "fleet", interval: 5)
            _ = Self.atOnce(8) { _ in _ = try store.agentLink("i-1") }  // every connection open: the calls below meet at once
            for instance in instances {
                let tokens = Mutex<[String]>([])
                let said = Self.atOnce(8) { _ in
                    let token = try store.registerAgent(AgentDocuments.Registration(instance: instance, bootstrap: "rcb_launch", host: nil)).token
                    tokens.withLock { $0.append(token) }
                }
                let issued = tokens.withLock { $0 }
                #expect(issued.count == 1, "\(engine): \(instance): \(said)")
                #expect(said.filter { $0 != "ok" }.allSatisfy { $0.contains("used already") }, "\(engine): \(said)")
                #expect(try issued.allSatisfy { try store.agentInstance(token: $0) == instance }, "\(engine): every token handed out opens its instance")
            }
            #expect(try store.events(cluster: "fleet").filter { $0.kind == "agent.registered" }.count == instances.count, "\(engine)")
        }
    }

    @Test func aUserRemovedByManyAtOnceIsRemovedOnce() throws {
        try BothEngines.run { engine, store in
            try store.addAccount("dave", admin: false, actor: "owner")
            try store.grant(GrantRecord(user: "dave", cluster: "shop", level: .deploy), actor: "owner")
            for _ in 0..<2 { _ = try store.createToken(user: "dave", lifetime: nil, readOnly: false, actor: "owner") }
            let said = Self.atOnce(6) { n in try store.removeAccount("dave", actor: "admin-\(n)") }
            #expect(said.filter { $0 == "ok" }.count == 1, "\(engine): \(said)")
            #expect(said.filter { $0 != "ok" }.allSatisfy { $0 == "no user named dave" }, "\(engine): \(said)")
            let kinds = try store.events(EventQuery()).map(\.kind)
            #expect(kinds.filter { $0 == "user.removed" }.count == 1 && kinds.filter { $0 == "token.revoked" }.count == 2
                    && kinds.filter { $0 == "grant.changed" }.count == 2, "\(engine): \(kinds)")
        }
    }

    @Test func aTokenRevokedByManyAtOnceIsRevokedOnce() throws {
        try BothEngines.run { engine, store in
            try store.addAccount("bob", admin: false, actor: "owner")
            let (_, record) = try store.createToken(user: "bob", lifetime: nil, readOnly: false, actor: "owner")
            let said = Self.atOnce(6) { n in try store.revokeToken(record.id, actor: "admin-\(n)") }
            #expect(said.filter { $0 == "ok" }.count == 1 && said.filter { $0.contains("already revoked") }.count == 5, "\(engine): \(said)")
            #expect(try store.events(EventQuery()).filter { $0.kind == "token.revoked" }.count == 1, "\(engine)")
        }
    }

    /// A token made while its user is removed is refused or revoked: none outlives the removal
    /// to open something again once a recipe declares the user back.
    @Test func aTokenMadeWhileItsUserIsRemovedDoesNotOutliveTheRemoval() throws {
        try BothEngines.run { engine, store in
            _ = Self.atOnce(8) { _ in _ = try store.accounts() }  // every connection open
            var outlived: [String] = []
            for round in 0..<20 {
                let user = "u\(round)"
                try store.addAccount(user, admin: false, actor: "owner")
                let secret = Mutex<String?>(nil)
                _ = Self.atOnce(2) { n in
                    if n == 0 {
                        let made = try store.createToken(user: user, lifetime: nil, readOnly: false, actor: "owner").secret
                        secret.withLock { $0 = made }
                    } else {
                        try store.removeAccount(user, actor: "owner")
                    }
                }
                try store.addAccount(user, admin: false, actor: "owner")
                if let made = secret.withLock({ $0 }), try store.authenticate(token: made).isSuccess { outlived.append(user) }
            }
            #expect(outlived.isEmpty, "\(engine): tokens that opened again: \(outlived)")
        }
    }

    @Test func anAccountAddedByManyAtOnceIsAddedOnce() throws {
        try BothEngines.run { engine, store throws in
            let said = Self.atOnce(6) { n in try store.addAccount("erin", admin: n == 0, actor: "admin-\(n)") }
            #expect(said.filter { $0 == "ok" }.count == 1 && said.filter { $0.contains("already exists") }.count == 5, "\(engine): \(said)")
            #expect(try store.events(EventQuery()).filter { $0.kind == "user.added" }.count == 1, "\(engine)")
        }
    }

    /// One instance id bound at once (a relaunch seen by two controllers): one link, whole.
    @Test func aLinkBoundByManyAtOnceEndsAsOneOfThem() throws {
        try BothEngines.run { engine, store throws in
            for round in 0..<5 {
                let said = Self.atOnce(6) { n in try store.bindBootstrap("rcb_\(round)_\(n)", instances: ["i-\(round)"], cluster: "fleet", interval: 5) }
                #expect(said.allSatisfy { $0 == "ok" }, "\(engine): \(said)")
                let opened = (0..<6).filter { n in
                    (try? store.registerAgent(AgentDocuments.Registration(instance: "i-\(round)", bootstrap: "rcb_\(round)_\(n)", host: nil))) != nil
                }
                #expect(opened.count == 1, "\(engine): round \(round): the last bind's secret opens the link, no other: \(opened)")
            }
        }
    }

    @Test func anAddressRegisteredByManyAtOnceIsRegisteredOnce() throws {
        try BothEngines.run { engine, store throws in
            let address = HostAddress(user: "root", host: "10.0.2.1")
            let said = Self.atOnce(6) { n in try store.reserveHost(address, cluster: "shop", layer: "web-\(n)", identity: nil) }
            #expect(said.filter { $0 == "ok" }.count == 1, "\(engine): \(said)")
            #expect(said.filter { $0 != "ok" }.allSatisfy { $0.contains("10.0.2.1 is already registered for shop/web-") }, "\(engine): \(said)")
            #expect(try store.hostMachines(cluster: "shop").count == 1, "\(engine)")
        }
    }

    /// Grants to one user at once: each change reads the one before it, so the events chain
    /// from "none" through every level once, and the last is what holds.
    @Test func grantsToOneUserAtOnceEachRecordTheChangeBeforeThem() throws {
        try BothEngines.run { engine, store throws in
            try store.addAccount("frank", admin: false, actor: "owner")
            let levels: [AccessLevel] = [.deny, .show, .deploy, .manage]
            let said = Self.atOnce(levels.count) { n in try store.grant(GrantRecord(user: "frank", cluster: "shop", level: levels[n]), actor: "admin-\(n)") }
            #expect(said.allSatisfy { $0 == "ok" }, "\(engine): \(said)")
            let changes = try store.events(EventQuery()).filter { $0.kind == "grant.changed" }.compactMap(\.detail)
            #expect(changes.count == levels.count && changes.filter { $0.hasPrefix("none -> ") }.count == 1, "\(engine): \(changes)")
            // each change starts from the level the one before it ended at
            for (before, after) in zip(changes, changes.dropFirst()) {
                #expect(after.hasPrefix(String(before.split(separator: " -> ").last ?? "") + " -> "), "\(engine): \(changes)")
            }
        }
    }

    @Test func hostsClaimedAtOnceAreEachTakenOnce() throws {
        try BothEngines.run { engine, store in
            let pool = (1...3).map { HostAddress(user: "root", host: "10.0.0.\($0)") }
            try store.reserveHost(HostAddress(user: "root", host: "10.0.1.1"), cluster: "shop", layer: "web", identity: nil)
            let taken = Mutex<[String]>([])
            let said = Self.atOnce(8) { n in
                if let host = try store.claimHost(pool: pool, identity: nil, cluster: "shop", layer: "web", instanceID: "i-\(n)", name: "web-\(n)") {
                    taken.withLock { $0.append(host.address) }
                }
            }
            #expect(said.allSatisfy { $0 == "ok" }, "\(engine): \(said)")
            let hosts = taken.withLock { $0 }
            #expect(hosts.count == 4 && Set(hosts).count == 4, "\(engine): each host once: \(hosts)")
            #expect(try store.hostMachines(cluster: "shop").compactMap(\.instanceID).count == 4, "\(engine)")
        }
    }

    @Test func instancesLaunchedAtOnceGetDistinctAddresses() throws {
        try BothEngines.run { engine, store in
            let inventory = LocalInventory(store: store)
            let ips = Mutex<[String]>([])
            let said = Self.atOnce(12) { n in
                let instance = try inventory.insertInstance({ Instance(id: "i-\(n)", cluster: "shop", layer: "web", name: "web-\(n)", state: .pending,
                                                                        privateIP: $0) }, addressBlock: 96)
                ips.withLock { $0.append(instance.privateIP) }
            }
            #expect(said.allSatisfy { $0 == "ok" }, "\(engine): \(said)")
            #expect(Set(ips.withLock { $0 }).count == 12, "\(engine)")
        }
    }

    /// An elastic address pointed at several instances at once ends on one of them, and only that
    /// one has it as its public IP.
    @Test func anAddressAssociatedAtOnceEndsOnOneInstance() throws {
        try BothEngines.run { engine, store in
            let inventory = LocalInventory(store: store)
            let ids = try (0..<4).map { n in
                try inventory.insertInstance({ Instance(id: "i-\(n)", cluster: "shop", layer: "web", name: "web-\(n)", state: .running, privateIP: $0) },
                                             addressBlock: 96).id
            }
            for round in 0..<5 {
                let address = try inventory.allocateAddress(cluster: "shop", block: 192)
                let said = Self.atOnce(4) { n in try inventory.associate(address: address.ip, with: ids[n]) }
                #expect(said.allSatisfy { $0 == "ok" }, "\(engine): \(said)")
                let holders = try inventory.instances(cluster: "shop").filter { $0.publicIP == address.ip }.map(\.id)
                let pointed = try inventory.address(address.ip)?.instanceID
                #expect(holders.count == 1 && holders.first == pointed, "\(engine): round \(round): \(holders), the address on \(pointed ?? "none")")
                try inventory.deleteAddress(address.ip)
            }
        }
    }

    @Test func aVolumeSavedByManyAtOnceIsKeptOnce() throws {
        try BothEngines.run { engine, store in
            let inventory = LocalInventory(store: store)
            try inventory.save(Volume(id: "vol-1", cluster: "shop", name: "data", sizeGB: 1))
            let said = Self.atOnce(8) { n in
                try inventory.save(Volume(id: "vol-1", cluster: "shop", name: "data", sizeGB: 10 + n, instanceID: n % 2 == 0 ? "i-\(n)" : nil))
            }
            #expect(said.allSatisfy { $0 == "ok" }, "\(engine): \(said)")
            #expect(try inventory.volumes(cluster: "shop").count == 1 && (inventory.volume("vol-1")?.sizeGB ?? 0) >= 10, "\(engine)")
        }
    }
}
