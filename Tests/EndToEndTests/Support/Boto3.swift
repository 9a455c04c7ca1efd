import Foundation
import TestSupport

/// boto3 (in .venv) acting on a moto_server behind the tool's back, as a person at the cloud's
/// console would: terminating or stopping instances, pushing CloudWatch data.
enum Boto3 {
    /// Runs a Python snippet with `ec2` and `cloudwatch` clients bound to the server; throws when it fails.
    static func run(_ script: String, _ arguments: [String] = [], on moto: MotoServer) throws {
        let process = Process()
        process.executableURL = Harness.repo.appendingPathComponent(".venv/bin/python")
        process.arguments = ["-c", """
            import boto3, os, sys, datetime
            def client(name):
                return boto3.client(name, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])
            ec2, cloudwatch = client("ec2"), client("cloudwatch")
            """ + "\n" + script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.merge(moto.environment) { $1 }
        process.environment = environment
        try Launch.run(process)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError("boto3 script failed (exit \(process.terminationStatus))") }
    }
}
