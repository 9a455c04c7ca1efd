import Foundation

/// An `application/x-www-form-urlencoded` body, as the console's forms post it.
struct ConsoleForm: Sendable {
    let fields: [String: String]

    init(fields: [String: String]) { self.fields = fields }

    init(urlEncoded body: String) {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first.flatMap(Self.decode) else { continue }
            fields[name] = parts.count == 2 ? Self.decode(parts[1]) ?? "" : ""
        }
        self.fields = fields
    }

    subscript(name: String) -> String? { fields[name] }

    /// `+` is a space; `%XX` a byte.
    private static func decode(_ text: String) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
