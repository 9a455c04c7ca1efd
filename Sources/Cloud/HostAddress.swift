import Foundation

/// A machine reached over SSH: `ssh://user@host[:port][/root]`. The root is the folder the
/// agent treats as the machine's `/` (default `/`: the whole machine); a test's machines, or a
/// host shared with other work, live in a folder of their own.
public struct HostAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    public var root: String

    public init(user: String, host: String, port: Int = 22, root: String = "/") {
        (self.user, self.host, self.port, self.root) = (user, host, port, root)
    }

    /// Parses the URL; the error says what is wrong with it.
    public init(parsing text: String) throws {
        func refuse(_ why: String) -> CloudError { CloudError("host \(text): \(why) (expected ssh://user@host[:port][/root])") }
        guard text.hasPrefix("ssh://") else { throw refuse("not an ssh:// URL") }
        var rest = Substring(text.dropFirst(6))
        var root = "/"
        if let slash = rest.firstIndex(of: "/") {
            root = String(rest[slash...])
            rest = rest[..<slash]
        }
        guard let at = rest.lastIndex(of: "@") else { throw refuse("no user") }
        let user = String(rest[..<at])
        var host = String(rest[rest.index(after: at)...])
        var port = 22
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else { throw refuse("the port is not a number from 1 to 65535") }
            port = number
            host = String(host[..<colon])
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard !user.isEmpty, user.unicodeScalars.allSatisfy(allowed.contains), !user.hasPrefix("-") else { throw refuse("the user is not a login name") }
        guard !host.isEmpty, host.unicodeScalars.allSatisfy(allowed.union(CharacterSet(charactersIn: ":")).contains), !host.hasPrefix("-") else {
            throw refuse("the host is not a name or an address")
        }
        guard !root.contains("/../"), !root.hasSuffix("/.."), !root.contains("\n") else { throw refuse("the root may not climb with ..") }
        self.init(user: user, host: host, port: port, root: root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root)
    }

    /// ssh's destination and port arguments.
    public var destination: String { "\(user)@\(host)" }

    public var description: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "ssh://\(user)@\(shown)" + (port == 22 ? "" : ":\(port)") + (root == "/" ? "" : root)
    }
}
