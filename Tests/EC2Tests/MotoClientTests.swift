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

    @Test func usersKeysAreImportedAndRemovedAndImagesMade() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let ec2 = EC2Provider(config: moto.config())
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f alice@example"
        try await ec2.applyKeys(cluster: "c", keys: ["alice": key, "bob": key])
        let listed = { try await ec2.client.call("DescribeKeyPairs").items("keySet").compactMap { $0.string("keyName") }.sorted() }
        #expect(try await listed() == ["c-alice", "c-bob"])
        try await ec2.applyKeys(cluster: "c", keys: ["alice": key])
        #expect(try await listed() == ["c-alice"])

        let instance = try await ec2.launch([InstanceSpec(cluster: "c", layer: "web", name: "web-1", image: "ami-12c6146b")])[0]
        let image = try await ec2.createImage(of: instance.id, name: "web-golden")
        #expect(image.hasPrefix("ami-"))
    }

    @Test func cloudWatchIsCalledSignedForTheMonitoringService() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let ec2 = EC2Provider(config: moto.config())
        // moto answers with an empty Datapoints list here; the parsing is checked on a document below
        let points = try await ec2.metrics(cluster: "c", instances: ["i-1"], name: "CPUUtilization", since: Date().addingTimeInterval(-600))
        #expect(points.isEmpty)
        #expect(ec2.calls.byAction["GetMetricStatistics"] == 1)
    }

    @Test func datapointsAreReadFromAGetMetricStatisticsDocument() throws {
        let document = """
            <GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricStatisticsResult>
            <Label>CPUUtilization</Label><Datapoints>
            <member><Timestamp>2026-11-29T03:35:00Z</Timestamp><Average>50.0</Average><Unit>Percent</Unit></member>
            <member><Timestamp>2026-11-29T03:34:00.174912Z</Timestamp><Average>30.0</Average><Unit>Percent</Unit></member>
            </Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>
            """
        let points = CloudWatch.datapoints(try #require(XMLNode.parse(Data(document.utf8))), statistic: "Average")
        #expect(points.map(\.value) == [30, 50])
    }

    @Test func throttledRequestsAreRetriedUntilTheyPass() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        // a third of the calls throttled: some retries for sure, eight in a row almost never
        let proxy = try ThrottleProxy(target: moto.port, share: 0.33)
        defer { proxy.stop() }
        let ec2 = EC2Provider(config: moto.config(endpoint: proxy.endpoint))
        for _ in 0..<6 { _ = try await ec2.describe(cluster: "x") }
        #expect(ec2.calls.retried > 0, "a third of the calls were throttled, so some were retried")
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

/// DescribeInstanceStatus: moto never reports an impaired check, so the parsing is checked on a document.
@Suite struct InstanceStatusTests {
    @Test func impairedChecksAreNamedAndHealthyOnesAreNot() throws {
        let document = """
            <DescribeInstanceStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><instanceStatusSet>
            <item><instanceId>i-ok</instanceId><systemStatus><status>ok</status></systemStatus>
              <instanceStatus><status>ok</status></instanceStatus></item>
            <item><instanceId>i-bad</instanceId><systemStatus><status>ok</status></systemStatus>
              <instanceStatus><status>impaired</status></instanceStatus></item>
            <item><instanceId>i-host</instanceId><systemStatus><status>impaired</status></systemStatus>
              <instanceStatus><status>initializing</status></instanceStatus></item>
            </instanceStatusSet></DescribeInstanceStatusResponse>
            """
        let impaired = EC2Provider.impaired(in: try #require(XMLNode.parse(Data(document.utf8))))
        #expect(Set(impaired.keys) == ["i-bad", "i-host"])
        #expect(impaired["i-host"]?.contains("system impaired") == true)
    }
}
