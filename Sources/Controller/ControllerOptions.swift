import Foundation

/// Where `recipe serve` listens and how: `--listen`, `--tls-cert`/`--tls-key`, `--insecure`.
public struct ControllerOptions: Sendable, Equatable {
    public static let defaultListen = "127.0.0.1:7070"

    public var host: String
    public var port: Int
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var insecure: Bool

    /// `ADDR:PORT` (an IPv6 address in brackets: `[::1]:7070`); refused, with why, otherwise.
    public init(listen: String, tlsCertificate: String? = nil, tlsKey: String? = nil, insecure: Bool = false) throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ControllerError("--listen '\(listen)' is not ADDRESS:PORT such as \(Self.defaultListen)")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ControllerError("--listen '\(listen)' names no address; \(Self.defaultListen) listens on loopback") }
        (self.host, self.port) = (host, port)
        (self.tlsCertificate, self.tlsKey, self.insecure) = (tlsCertificate, tlsKey, insecure)
        if (tlsCertificate == nil) != (tlsKey == nil) { throw ControllerError("--tls-cert and --tls-key go together: give both or neither") }
        for path in [tlsCertificate, tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw ControllerError("\(path): no such readable file")
        }
        // tokens travel in every request: in clear, only over the machine's own loopback
        if !isLoopback && !usesTLS && !insecure {
            throw ControllerError("--listen \(listen) is beyond loopback: give --tls-cert and --tls-key, or --insecure to send tokens in clear")
        }
    }

    public var usesTLS: Bool { tlsCertificate != nil }

    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    /// How clients reach it: `http://127.0.0.1:7070`.
    public var url: String {
        "\(usesTLS ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// A refusal of the controller's settings or requests, said plainly.
public struct ControllerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
