import Foundation
import TestSupport

/// HTTP requests to a controller the test started, with the system's curl: the status and the body.
enum Curl {
    struct Answer {
        var status: Int
        var body: String
    }

    static func request(_ method: String, _ url: String, token: String? = nil, json: String? = nil, insecure: Bool = false,
                        timeout: Double = 120) throws -> Answer {
        var arguments = ["-s", "-X", method, "--max-time", String(timeout), "-w", "\n%{http_code}"]
        if insecure { arguments.append("-k") }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        let output = try run(arguments + [url])
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return Answer(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
    }

    /// Starts `curl -N` on a stream, writing what arrives to `file`; the caller stops it by PID.
    static func stream(_ url: String, token: String, to file: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sN", "--max-time", "120", "-H", "Authorization: Bearer \(token)", url]
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        return process
    }

    private static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? pipe.fileHandleForReading.close()
        try? pipe.fileHandleForWriting.close()
        return String(decoding: data, as: UTF8.self)
    }
}
