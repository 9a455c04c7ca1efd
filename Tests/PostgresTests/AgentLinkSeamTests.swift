import Cloud
import Foundation
import Testing
@testable import Store

/// Remote agents' standing on the seam, on both engines: a launch's bootstrap secret is traded
/// once per instance for a token, the token names its instance, heartbeats land in the link and
/// the metrics, and a terminated instance's token opens nothing.
@Suite(.serialized) struct AgentLinkSeamTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func register(_ store: Store, _ instance: String, _ secret: String, at now: Date = now) -> Result<String, AuthenticationFailure> {
        Result { try store.registerAgent(AgentDocuments.Registration(instance: instance, bootstrap: secret, host: "linux x86_64 debian-12"), now: now).token }
            .mapError { $0 as? AuthenticationFailure ?? AuthenticationFailure(reason: "\($0)") }
    }

    @Test func aBootstrapSecretIsTradedOncePerInstanceForATokenNamingIt() throws {
        try BothEngines.run { engine, store in
            let web = Instance(id: "i-1", cluster: "fleet", layer: "web", name: "web-1", state: .pending, privateIP: "10.0.0.2",
                               services: [ServiceSpec(name: "app", command: "./app", port: 8080, env: ["MODE": "prod"])])
            try store.bindBootstrap("rcb_launch", instances: ["i-1", "i-2"], cluster: "fleet", interval: 5,
                                    machines: [AgentDocuments.Machine(web)], now: Self.now)
            #expect(try store.agentMachine("i-1") == AgentDocuments.Machine(web), "\(engine): what the agent is told of itself")
            #expect(try store.agentMachine("i-2") == nil, "\(engine)")

            #expect(Self.register(store, "i-1", "rcb_wrong").reason == "the bootstrap secret is not i-1's", "\(engine)")
            #expect(Self.register(store, "i-9", "rcb_launch").reason == "instance i-9 expects no agent", "\(engine)")
            let first = try Self.register(store, "i-1", "rcb_launch", at: Self.now.addingTimeInterval(3)).get()
            #expect(Self.register(store, "i-1", "rcb_launch").reason == "the bootstrap secret of i-1 was used already", "\(engine): once only")
            let second = try Self.register(store, "i-2", "rcb_launch").get()
            #expect(first.hasPrefix(TokenSecret.agentPrefix) && first != second, "\(engine)")

            #expect(try store.agentInstance(token: first) == "i-1" && store.agentInstance(token: second) == "i-2", "\(engine)")
            #expect(try store.agentInstance(token: "rca_nothing") == nil, "\(engine)")
            #expect(try store.authenticate(token: first).isSuccess && store.authenticate(token: first) == .success(.agent(instanceID: "i-1")), "\(engine)")
            let link = try #require(try store.agentLink("i-1"))
            #expect(link.bootstrapSha256 == nil && link.tokenSha256 != nil && link.registeredAt == Self.now.addingTimeInterval(3), "\(engine)")
            #expect(link.host == "linux x86_64 debian-12" && link.interval == 5 && link.createdAt == Self.now, "\(engine)")

            let events = try store.events(cluster: "fleet")
            #expect(events.filter { $0.kind == "agent.refused" }.count == 2, "\(engine): the wrong and the spent secret (i-9 has no cluster)")
            #expect(events.filter { $0.kind == "agent.registered" }.map(\.subject) == ["i-1", "i-2"], "\(engine)")
        }
    }

    @Test func aHeartbeatIsKeptInTheLinkAndTheMetrics() throws {
        try BothEngines.run { engine, store in
            try store.bindBootstrap("rcb_launch", instances: ["i-1"], cluster: "fleet", interval: 5, now: Self.now)
            _ = try Self.register(store, "i-1", "rcb_launch").get()
            let beat = AgentDocuments.Heartbeat(cpuPercent: 12.5, memoryBytes: 3 << 30, memoryPercent: 40, load: 0.75)
            try store.agentHeartbeat("i-1", beat, at: Self.now.addingTimeInterval(10))
            try store.agentHeartbeat("i-1", AgentDocuments.Heartbeat(cpuPercent: 20, memoryBytes: 1 << 30, memoryPercent: 10, load: 1),
                                     at: Self.now.addingTimeInterval(15))
            let link = try #require(try store.agentLink("i-1"))
            #expect(link.heartbeatAt == Self.now.addingTimeInterval(15) && link.cpuPercent == 20 && link.memoryBytes == 1 << 30, "\(engine): the last word")
            #expect(!link.isSilent(at: Self.now.addingTimeInterval(29), answeredSince: Self.now), "\(engine)")
            #expect(link.isSilent(at: Self.now.addingTimeInterval(31), answeredSince: Self.now), "\(engine)")
            #expect(try store.metricValues(instances: ["i-1"], name: "memory", since: Self.now).sorted() == [Double(1 << 30), Double(3 << 30)], "\(engine)")
            let samples = try store.metricSamples(instances: ["i-1"], name: nil, since: Self.now.addingTimeInterval(12))
            #expect(Set(samples.map { "\($0.name)=\($0.value)" }) == ["cpu=20.0", "memory=1073741824.0", "memory_percent=10.0", "load=1.0"], "\(engine)")
            #expect(samples.allSatisfy { $0.time == Self.now.addingTimeInterval(15) }, "\(engine)")
        }
    }

    @Test func aForgottenOrReboundLinksTokenOpensNothing() throws {
        try BothEngines.run { engine, store in
            try store.bindBootstrap("rcb_launch", instances: ["i-1", "i-2"], cluster: "fleet", interval: 5, now: Self.now)
            try store.bindBootstrap("rcb_other", instances: ["i-3"], cluster: "other", interval: 5, now: Self.now)
            let one = try Self.register(store, "i-1", "rcb_launch").get()
            let two = try Self.register(store, "i-2", "rcb_launch").get()
            #expect(try store.agentLinks(cluster: "fleet").map(\.instanceID) == ["i-1", "i-2"], "\(engine)")
            try store.forgetAgentLinks(["i-1"])
            #expect(try store.agentInstance(token: one) == nil && store.agentLink("i-1") == nil, "\(engine): terminated")
            #expect(try store.authenticate(token: one).isFailure, "\(engine)")
            #expect(try store.agentLinks(cluster: "fleet").map(\.instanceID) == ["i-2"], "\(engine)")
            // a relaunch under the same id starts over: the old token goes, a new secret is traded
            try store.bindBootstrap("rcb_again", instances: ["i-2"], cluster: "fleet", interval: 10, now: Self.now.addingTimeInterval(60))
            #expect(try store.agentInstance(token: two) == nil, "\(engine)")
            let link = try #require(try store.agentLink("i-2"))
            #expect(link.registeredAt == nil && link.host == nil && link.interval == 10, "\(engine): every column replaced")
            #expect(try store.agentInstance(token: try Self.register(store, "i-2", "rcb_again").get()) == "i-2", "\(engine)")
            #expect(try store.agentLinks(cluster: "other").map(\.instanceID) == ["i-3"], "\(engine)")
        }
    }
}
