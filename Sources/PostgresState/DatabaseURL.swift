import Foundation
import PostgresNIO

/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable]`, as `RECIPE_DATABASE_URL` or
/// `--database` name a shared state. A bad one is refused naming the part that is wrong; the
/// password is never part of what is said back.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw DatabaseURLError("'\(Self.masked(text))' is not a URL such as postgres://recipe@db.example:5432/recipe")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError("'\(scheme):' is not a database this tool speaks: use postgres://USER@HOST:PORT/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else { throw DatabaseURLError("the URL names no host: postgres://USER@HOST:PORT/DATABASE") }
        guard let user = components.user, !user.isEmpty else { throw DatabaseURLError("the URL names no user: postgres://USER@\(host)/DATABASE") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw DatabaseURLError("the URL names no database: postgres://\(user)@\(host)/DATABASE") }
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value, mode != "disable" {
            throw DatabaseURLError("sslmode=\(mode): only sslmode=disable is supported yet (a database on loopback or a private network)")
        }
        (self.user, self.password, self.host, self.port, self.database) = (user, components.password, host, components.port ?? 5432, database)
    }

    /// The URL without its password.
    public var description: String { "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)" }

    /// A connection's settings; `application` names it in `pg_stat_activity`.
    public func configuration(application: String) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                             database: database, tls: .disable)
        configuration.options.additionalStartupParameters = [("application_name", application)]
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    static func masked(_ text: String) -> String {
        text.replacing(/:[^:@\/]*@/, with: ":***@")
    }
}

public struct DatabaseURLError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
