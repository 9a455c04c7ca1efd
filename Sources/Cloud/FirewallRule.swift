/// Traffic a layer accepts: a port and protocol, from a CIDR block or from another layer.
public struct FirewallRule: Codable, Sendable, Hashable, Comparable {
    public var layer: String
    public var port: Int
    public var proto: String
    public var source: String

    public init(layer: String, port: Int, proto: String = "tcp", source: String) {
        self.layer = layer
        self.port = port
        self.proto = proto
        self.source = source
    }

    public var text: String { "\(port)/\(proto) from \(source)" }

    public static func < (a: FirewallRule, b: FirewallRule) -> Bool {
        (a.layer, a.port, a.proto, a.source) < (b.layer, b.port, b.proto, b.source)
    }
}
