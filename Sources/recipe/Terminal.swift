import CProcess
import Cloud
import Engine
import Foundation

enum Terminal {
    /// Makes `print` flush at every newline even when stdout is a pipe or a file, so output streams
    /// (`recipe events --follow | grep …`) and lines keep their order with stderr in one file.
    static func streamLines() {
        cs_stdout_line_buffered()
    }

    /// A line on stdout at once, even when stdout is a pipe or a file (a long-running serve's log).
    /// Cleaned of secrets, as everything the CLI prints through here.
    static func line(_ message: String) {
        FileHandle.standardOutput.write(Data((redacted(message) + "\n").utf8))
    }

    /// Long work's steps, one plain line each on stdout as they happen (so a file or a pipe
    /// gets them in order too).
    static let progress = ProgressLines { line($0) }

    /// Whether this runs under CI (`CI=true`, as CI services set it): cookbooks' locks are frozen then.
    static var underCI: Bool {
        ProcessInfo.processInfo.environment["CI"].map { ["true", "1", "yes"].contains($0.lowercased()) } ?? false
    }

    static func error(_ message: String) {
        let message = withoutSQL(redacted(message))
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
    }

    static func redacted(_ text: String) -> String { Redactor.shared.value.redact(text) }

    /// An SQLite error as GRDB describes it ends with the statement (`- while executing `INSERT
    /// INTO "events" …``): the user is told what failed, not the tool's SQL.
    static func withoutSQL(_ message: String) -> String {
        message.replacingOccurrences(of: #" - while executing `[^`]*`( with arguments \[[^\]]*\])?"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: "SQLite error ", with: "state database error ")
    }

    static func printJSON<T: Encodable>(_ value: T, pretty: Bool = true) throws {
        line(String(decoding: try JSONDocument.encode(value, pretty: pretty), as: UTF8.self))
    }

    /// A JSON document as the controller sent it (JSONDocument's bytes and a newline): what
    /// `printJSON` prints for the same value locally.
    static func document(_ data: Data) {
        var data = data
        if data.last == 0x0a { data.removeLast() }
        line(String(decoding: data, as: UTF8.self))
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

enum Executable {
    /// This binary, which local instances run as `recipe agent`.
    static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

extension ClusterStatus.InstanceStatus {
    /// One instance as `run` and `status` print it: how to reach it (its services' URLs, else its
    /// address) and its public address.
    var line: String {
        let reach = urls.isEmpty ? private_ip : urls.joined(separator: " ")
        return "  \(name.padding(8))  \(id)  \(state.padding(8))  \(health.padding(9))  \(reach)" + (public_ip.map { "  public \($0)" } ?? "")
    }
}
