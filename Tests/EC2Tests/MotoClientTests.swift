import Cloud
import Foundation
import Testing
@testable import EC2
import TestSupport

/// The Query client and provider against a real moto_server that checks signatures.
@Suite(.serialized) struct MotoClientTests {
    @Test func signedCallsPassAndAWrongSecretIsRefusedByName() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let good = EC2Provider(config: moto.config())
        #expect(try await good.describe(cluster: "none").instances.isEmpty)

        let bad = EC2Provider(config: moto.config(secret: "wrong-secret"))
        do {
            _ = try await bad.describe(cluster: "none")
            Issue.record("a wrong secret was accepted")
        } catch {
            #expect("\(error)".contains(moto.endpoint) && "\(error)".contains("AuthFailure"), "\(error)")
            #expect(!"\(error)".contains("wrong-secret"))
        }
    }

    @Test func launchNamesSlotsFromOneCallAndDescribeReadsThemBack() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let ec2 = EC2Provider(config: moto.config())
        let specs = (1...5).map {
            InstanceSpec(cluster: "c", layer: "db", name: "db-\($0)", image: "ami-12c6146b",
                         disks: [DiskSpec(name: "data", sizeGB: 100, mount: "/var/lib/mysql")])
        }
        let before = ec2.calls.byAction["RunInstances"] ?? 0
        let launched = try await ec2.launch(specs)
        #expect(launched.count == 5)
        #expect((ec2.calls.byAction["RunInstances"] ?? 0) - before == 1)
        let inventory = try await ec2.describe(cluster: "c")
        #expect(Set(inventory.instances.map(\.name)) == Set((1...5).map { "db-\($0)" }))
        #expect(inventory.volumes.count == 5)
        #expect(inventory.volumes.allSatisfy { $0.name.hasSuffix(":data") && $0.mount == "/var/lib/mysql" && $0.instanceID != nil })
    }

    @Test func throttledRequestsAreRetriedUntilTheyPass() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let proxy = try ThrottleProxy(target: moto.port, share: 0.5)
        defer { proxy.stop() }
        let ec2 = EC2Provider(config: moto.config(endpoint: proxy.endpoint))
        for _ in 0..<6 { _ = try await ec2.describe(cluster: "x") }
        #expect(ec2.calls.retried > 0, "half the calls were throttled, so some were retried")
    }

    @Test func anEndpointThatIsDownIsRetriedThenNamed() async throws {
        let port = try FreePort.find()
        var client = QueryClient(endpoint: URL(string: "http://127.0.0.1:\(port)")!, version: "2016-11-15",
                                 signer: SigV4(credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"), region: "us-east-1", service: "ec2"))
        client.maxAttempts = 3
        client.backoffBase = 0.01
        do {
            _ = try await client.call("DescribeInstances")
            Issue.record("nothing listens there")
        } catch let error as AWSError {
            #expect("\(error)".contains("127.0.0.1:\(port)") && "\(error)".contains("after 3 attempts"), "\(error)")
        }
        #expect(client.calls.total == 3)
    }
}
