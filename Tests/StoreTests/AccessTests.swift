import Foundation
import Testing
import Store

/// The rights matrix (issue 13, point 2): every action × every role, on the cluster the grant is
/// for and on another, through the user, a token, a read-only token, an expired and a revoked one.
/// The expected answers are written out here from OpsWorks' levels, not derived from `Access`.
@Suite struct AccessTests {
    /// The least role each action needs, as the issue states it.
    static let least: [AccessAction: String] = [
        .status: "show", .plan: "show",
        .deploy: "deploy", .rollback: "deploy", .undeploy: "deploy",
        .run: "manage", .scale: "manage", .clone: "manage", .destroy: "manage", .grant: "manage",
        .users: "admin", .tokens: "admin", .secrets: "admin", .createCluster: "admin", .accounting: "admin",
    ]
    static let roles = ["none", "deny", "show", "deploy", "manage", "admin"]
    static let global: Set<AccessAction> = [.users, .tokens, .secrets, .createCluster, .accounting]
    enum Via: CaseIterable { case user, token, readOnly, expired, revoked }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func identity(_ role: String, via: Via) -> Identity {
        let user = UserAccount(name: "alice", admin: role == "admin", createdAt: now)
        let grants = AccessLevel(rawValue: role).map { [GrantRecord(user: "alice", cluster: "shop", level: $0)] } ?? []
        func token(readOnly: Bool = false, expires: Date? = nil, revoked: Date? = nil) -> Identity {
            .token(TokenRecord(id: "tok-1", user: "alice", sha256: Data(), last4: "x9Qk", readOnly: readOnly, createdAt: now,
                               expiresAt: expires, revokedAt: revoked), user: user, grants: grants)
        }
        switch via {
        case .user: return .user(user, grants: grants)
        case .token: return token(expires: now.addingTimeInterval(60))
        case .readOnly: return token(readOnly: true)
        case .expired: return token(expires: now.addingTimeInterval(-1))
        case .revoked: return token(revoked: now.addingTimeInterval(-60))
        }
    }

    @Test(arguments: AccessAction.allCases) func everyRoleAndEveryWayIn(action: AccessAction) throws {
        let least = try #require(Self.least[action], "every action has a row in the table")
        let clusters: [String?] = Self.global.contains(action) ? [nil] : ["shop", "other"]
        var cases = 0
        for role in Self.roles {
            for via in Via.allCases {
                for cluster in clusters {
                    let decision = Access.decide(Self.identity(role, via: via), action, cluster: cluster, now: Self.now)
                    cases += 1
                    let context = "\(action) by \(role) via \(via) on \(cluster ?? "-"): \(decision)"
                    if via == .expired || via == .revoked {
                        #expect(decision.status == 401, "\(context)")
                        continue
                    }
                    let rank = Self.roles.firstIndex(of: role)!, needed = Self.roles.firstIndex(of: least)!
                    let onGrant = cluster == nil || cluster == "shop" || role == "admin"
                    var allowed = rank >= needed && onGrant
                    if via == .readOnly && action != .status && action != .plan { allowed = false }
                    #expect(decision.isAllowed == allowed, "\(context)")
                    if case .refused(let status, let reason) = decision {
                        #expect(status == 403, "\(context)")
                        #expect(reason.contains("needs \(least)"), "the reason names what is needed: \(context)")
                        if via == .readOnly && action != .status && action != .plan { #expect(reason.contains("is read-only"), "\(context)") }
                    }
                }
            }
        }
        #expect(cases == Self.roles.count * Via.allCases.count * clusters.count)
    }

    @Test(arguments: AccessAction.allCases) func ownerAndSchedulerMayAllAndAgentsNothing(action: AccessAction) {
        for cluster in ["shop", nil] as [String?] {
            #expect(Access.decide(.owner, action, cluster: cluster) == .allowed)
            #expect(Access.decide(.scheduler, action, cluster: cluster) == .allowed)
            let agent = Access.decide(.agent(instanceID: "i-0abc"), action, cluster: cluster)
            #expect(agent.status == 403)
            #expect(!agent.isAllowed)
        }
    }

    @Test func refusalsSayWhatIsNeededAndWhatTheCallerHas() {
        let show = Self.identity("show", via: .user)
        #expect(Access.decide(show, .deploy, cluster: "shop") ==
                .refused(status: 403, reason: "deploy on cluster shop needs deploy; user:alice has show"))
        #expect(Access.decide(show, .status, cluster: "other") ==
                .refused(status: 403, reason: "status on cluster other needs show; user:alice has deny"))
        #expect(Access.decide(Self.identity("manage", via: .user), .createCluster, cluster: "new") ==
                .refused(status: 403, reason: "create cluster needs admin; user:alice is not an admin"))
        let expired = Access.decide(Self.identity("admin", via: .expired), .status, cluster: "shop", now: Self.now)
        #expect(expired == .refused(status: 401, reason: "token tok-1 expired at 2027-01-15T07:59:59Z"))
        #expect(Access.decide(Self.identity("admin", via: .readOnly), .destroy, cluster: "shop", now: Self.now) ==
                .refused(status: 403, reason: "destroy needs manage; token:alice…x9Qk is read-only (show at most)"))
    }

    @Test func actorsNameWhoActed() {
        #expect(Identity.owner.actor == "owner")
        #expect(Identity.scheduler.actor == "scheduler")
        #expect(Identity.agent(instanceID: "i-0abc").actor == "agent:i-0abc")
        #expect(Self.identity("show", via: .user).actor == "user:alice")
        #expect(Self.identity("show", via: .token).actor == "token:alice…x9Qk")
    }
}
