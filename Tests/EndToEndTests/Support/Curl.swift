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

    /// A browser's request: a cookie, an urlencoded form, no redirect followed; the answer with
    /// its headers (lowercased names) as well.
    struct Page {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    static func page(_ method: String, _ url: String, cookie: String? = nil, form: [String: String]? = nil) throws -> Page {
        var arguments = ["-s", "-X", method, "--max-time", "60", "-D", "-", "-w", "\n%{http_code}"]
        if let cookie { arguments += ["-H", "Cookie: \(cookie)"] }
        if let form {
            for (name, value) in form.sorted(by: { $0.key < $1.key }) { arguments += ["--data-urlencode", "\(name)=\(value)"] }
        }
        // "\r\n" is one Character to Swift: the header lines are split on it as on "\n"
        let output = try run(arguments + [url]).replacingOccurrences(of: "\r\n", with: "\n")
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let status = Int(lines.removeLast()) ?? 0
        var headers: [String: String] = [:]
        while let line = lines.first {
            lines.removeFirst()
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { break }
            if let colon = trimmed.firstIndex(of: ":") {
                headers[trimmed[..<colon].lowercased()] = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return Page(status: status, headers: headers, body: lines.joined(separator: "\n"))
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
