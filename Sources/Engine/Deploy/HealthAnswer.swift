import Cloud

/// What one health check got.
struct HealthAnswer {
    /// The HTTP status, 0 when nothing answered.
    var status: Int
    /// The body's first line.
    var line: String
    /// Why nothing answered.
    var error: String

    init(status: Int, line: String, error: String) {
        (self.status, self.line, self.error) = (status, line, error)
    }

    init(_ result: CommandResult) {
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        status = Int(lines.first ?? "") ?? 0
        line = lines.count > 1 ? String(lines[1]).trimmed : ""
        // "curl: (7) Failed to connect to … port 8000 …: Couldn't connect to server"
        let said = result.stderr.trimmed.split(separator: "\n").last.map(String.init) ?? ""
        error = said.hasPrefix("curl: (") ? String(said.drop { $0 != ")" }.dropFirst(2)) : said
    }

    var healthy: Bool { (200..<400).contains(status) }

    /// `500: database down`, or the connection error.
    var text: String {
        guard status > 0 else { return error.isEmpty ? "no answer" : error }
        return line.isEmpty ? "\(status)" : "\(status): \(String(line.prefix(200)))"
    }
}
