import Foundation
import Testing
@testable import EC2

@Suite struct ConfigTests {
    let keys = ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret", "HOME": "/nonexistent"]

    @Test func environmentAsAWSToolsReadIt() throws {
        let config = try AWSConfig.resolve(environment: keys.merging(["AWS_REGION": "eu-west-1"]) { $1 })
        #expect(config.region == "eu-west-1")
        #expect(config.endpoint.absoluteString == "https://ec2.eu-west-1.amazonaws.com")
        let endpoint = try AWSConfig.resolve(environment: keys.merging(
            ["AWS_DEFAULT_REGION": "us-east-2", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:2"]) { $1 })
        #expect(endpoint.region == "us-east-2")
        #expect(endpoint.endpoint.absoluteString == "http://127.0.0.1:2")
    }

    @Test func recipeOverridesWinAndTyposAreRefused() throws {
        let env = keys.merging(["AWS_REGION": "eu-west-1"]) { $1 }
        let config = try AWSConfig.resolve(.init(region: "ap-south-1", endpoint: "http://127.0.0.1:9", apiVersion: "2013-02-01"), environment: env)
        #expect(config.region == "ap-south-1" && config.apiVersion == "2013-02-01" && config.endpoint.port == 9)
        #expect(throws: AWSError.self) { try AWSConfig.resolve(.init(region: "eu west 1"), environment: env) }
        #expect(throws: AWSError.self) { try AWSConfig.resolve(.init(endpoint: "htp//127.0.0.1"), environment: env) }
        #expect(throws: AWSError.self) { try AWSConfig.resolve(environment: ["AWS_REGION": "eu-west-1", "HOME": "/nonexistent"]) }
    }

    @Test func profilesFromTheSharedFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aws-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = s2\n"
            .write(to: folder.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
        try "[default]\nregion = us-west-2\n[profile ops]\nregion = eu-central-1\n"
            .write(to: folder.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
        let base = ["HOME": folder.path]
        let defaults = try AWSConfig.resolve(environment: base)
        #expect(defaults.credentials.accessKeyID == "AKIADEFAULT" && defaults.region == "us-west-2")
        let ops = try AWSConfig.resolve(environment: base.merging(["AWS_PROFILE": "ops"]) { $1 })
        #expect(ops.credentials.accessKeyID == "AKIAOPS" && ops.region == "eu-central-1")
    }

    @Test func secretsNeverPrint() {
        let credentials = AWSCredentials(accessKeyID: "AKIAEXAMPLE", secretAccessKey: "very-secret", sessionToken: "token-secret")
        #expect(!"\(credentials)".contains("very-secret") && !"\(credentials)".contains("token-secret"))
        let error = AWSError.api(endpoint: "http://127.0.0.1:1", action: "DescribeInstances", code: "AuthFailure", message: "no", status: 401)
        #expect("\(error)" == "http://127.0.0.1:1: DescribeInstances failed with AuthFailure (HTTP 401): no")
    }

    @Test func slotRangesRoundTrip() {
        #expect(SlotRanges.format([1, 2, 3, 5, 7, 8]) == "1,2-3,5,7-8" || SlotRanges.format([1, 2, 3, 5, 7, 8]) == "1-3,5,7-8")
        #expect(SlotRanges.format(Array(1...130)) == "1-130")
        #expect(SlotRanges.parse("1-3,5,7-8") == [1, 2, 3, 5, 7, 8])
    }
}
