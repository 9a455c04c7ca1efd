import Foundation

/// Where the local provider keeps things under `HOME/local/`.
public struct LocalPaths: Sendable {
    public let home: URL

    public init(home: URL) {
        self.home = home
    }

    public var base: URL { home.appendingPathComponent("local") }

    /// The instance's stand-in disk; `$ROOT` in its services and commands.
    public func root(of instance: String) -> URL {
        base.appendingPathComponent("instances").appendingPathComponent(instance)
    }

    public func logs(of instance: String) -> URL {
        root(of: instance).appendingPathComponent("var/log")
    }

    public func volume(_ id: String) -> URL {
        base.appendingPathComponent("volumes").appendingPathComponent(id)
    }

    public func snapshot(_ id: String) -> URL {
        base.appendingPathComponent("snapshots").appendingPathComponent(id + ".tar.gz")
    }
}

/// Address blocks of the local provider (each 127.N.0.0/12): instances get 127.96-111.x.y,
/// elastic IPs 127.192-207.x.y; never 127.0.0.1.
public enum LocalAddresses {
    public static let instanceBlock = 96
    public static let elasticBlock = 192
}
