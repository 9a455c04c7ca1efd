import EC2
import Foundation

/// A real moto_server on a free loopback port, with signature checking on: the first three
/// calls (made here) create an IAM user with a policy and a key; every later call must be
/// signed with that key. Stopped by its PID when dropped or on `stop()`.
public final class MotoServer: @unchecked Sendable {
    public let port: Int
    public let accessKey: String
    public let secretKey: String
    let process: Process

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Environment for the `recipe` CLI to reach this server.
    public var environment: [String: String] {
        ["AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": accessKey,
         "AWS_SECRET_ACCESS_KEY": secretKey]
    }

    public init() async throws {
        port = try FreePort.find()
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        var env = ProcessInfo.processInfo.environment
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        let iam = QueryClient(
            endpoint: URL(string: "http://127.0.0.1:\(port)")!, version: "2010-05-08",
            signer: SigV4(credentials: AWSCredentials(accessKeyID: "bootstrap", secretAccessKey: "bootstrap"),
                          region: "us-east-1", service: "iam"))
        // moto takes a second or two to listen: the client's retries wait for it
        var waited = 0.0
        while !Self.listening(port), waited < 20 {
            try await Task.sleep(nanoseconds: 100_000_000)
            waited += 0.1
        }
        _ = try await iam.call("CreateUser", [("UserName", "recipe")])
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await iam.call("PutUserPolicy", [("UserName", "recipe"), ("PolicyName", "all"), ("PolicyDocument", policy)])
        let key = try await iam.call("CreateAccessKey", [("UserName", "recipe")])
        guard let id = key.all("AccessKeyId").first?.text, let secret = key.all("SecretAccessKey").first?.text else {
            throw TestSupportError("moto did not hand out an access key")
        }
        accessKey = id
        secretKey = secret
    }

    deinit { stop() }

    public func stop() {
        guard process.isRunning else { return }
        // SIGKILL: a child started by Foundation inherits the blocked signals of the thread that spawned it
        kill(process.processIdentifier, SIGKILL)
        Reaper.wait(process)
    }

    public func config(endpoint override: String? = nil, secret: String? = nil) -> AWSConfig {
        AWSConfig(region: "us-east-1", endpoint: URL(string: override ?? endpoint)!,
                  credentials: AWSCredentials(accessKeyID: accessKey, secretAccessKey: secret ?? secretKey),
                  apiVersion: AWSConfig.defaultAPIVersion)
    }

    static func binary() throws -> String {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["MOTO_SERVER"] { return explicit }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let venv = repo.appendingPathComponent(".venv/bin/moto_server").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for dir in (env["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/moto_server") {
            return "\(dir)/moto_server"
        }
        throw TestSupportError("moto_server not found: run `make test` (it installs moto[server] into .venv)")
    }

    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

/// A proxy that answers 503 RequestLimitExceeded to a share of requests and forwards the rest:
/// the fault real endpoints throw at clients that call too fast.
public final class ThrottleProxy: @unchecked Sendable {
    public let port: Int
    let process: Process

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    public init(target: Int, share: Double, seed: Int = 7) throws {
        port = try FreePort.find()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("throttle_proxy.py").path
        process.arguments = ["python3", script, String(port), String(target), String(share), String(seed)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        for _ in 0..<100 {
            if MotoServer.listening(port) { break }
            usleep(50_000)
        }
    }

    deinit { stop() }

    public func stop() {
        guard process.isRunning else { return }
        // SIGKILL: a child started by Foundation inherits the blocked signals of the thread that spawned it
        kill(process.processIdentifier, SIGKILL)
        Reaper.wait(process)
    }
}

/// Waits (at most 5 s) for a killed child to be gone; quicker than Process.waitUntilExit here.
enum Reaper {
    static func wait(_ process: Process) {
        for _ in 0..<500 where process.isRunning { usleep(10_000) }
    }
}

public enum FreePort {
    /// A port the kernel just handed out on 127.0.0.1, free for the next server.
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestSupportError("no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
