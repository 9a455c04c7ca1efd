import ArgumentParser
import Controller
import Foundation
import Store

/// `recipe token create|list|revoke`: the API's credentials, shown once, stored as a hash.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke users' API tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand, ThroughAPI {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Make a token for a user and print it, once: it is stored only as a hash.")

        @OptionGroup var home: HomeOptions
        @Argument(help: "The user's name.", transform: NameArgument.of(.user)) var name: String
        @Option(name: .long, help: "Lifetime: 90m, 12h, 30d, 8w, or never.") var expires = "30d"
        @Flag(name: .long, help: "The token only reads (show), whatever its user may do.") var readOnly = false

        struct Body: Encodable, Sendable {
            var user, expires: String
            var read_only: Bool
        }

        func run() async throws {
            let lifetime: TimeInterval?
            do { lifetime = try TokenLifetime.parse(expires) } catch { throw ValidationError("\(error)") }
            let (secret, token): (String, TokenListing)
            if let api = try ClientMode.controller() {
                let data = try await api.send("POST", "tokens", body: Body(user: name, expires: expires, read_only: readOnly))
                let created = try api.decode(APIDocuments.CreatedToken.self, data)
                (secret, token) = (created.secret, created.token)
            } else {
                let store = try home.store()
                let (made, record) = try store.createToken(user: name, lifetime: lifetime, readOnly: readOnly, actor: Identity.owner.actor)
                (secret, token) = (made, TokenListing(record, now: Date()))
            }
            // stdout carries the secret alone, for `TOKEN=$(recipe token create alice)`
            FileHandle.standardOutput.write(Data((secret + "\n").utf8))
            let expiry = token.expiresAt.map { "expires \(Terminal.time($0))" } ?? "never expires"
            Terminal.error("token \(token.id) for \(name)\(readOnly ? ", read-only" : ""), \(expiry); it is not shown again")
        }
    }

    struct List: AsyncParsableCommand, ThroughAPI {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Tokens (never their secrets): id, user, last 4 characters, state.")

        @OptionGroup var home: HomeOptions
        @Argument(help: "Only this user's.", transform: NameArgument.of(.user)) var name: String?
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let tokens: [TokenListing]
            if let api = try ClientMode.controller() {
                let data = try await api.get("tokens", ["user": name])
                if json { return Terminal.document(data) }
                tokens = try api.decode([TokenListing].self, data)
            } else {
                let store = try home.store()
                let now = Date()
                tokens = try store.tokens(user: name).map { TokenListing($0, now: now) }
                if json { return try Terminal.printJSON(tokens) }
            }
            for t in tokens {
                let expiry = t.expiresAt.map { "expires \(Terminal.time($0))" } ?? "never expires"
                Terminal.line("\(t.id)  \(t.user)  …\(t.last4)  \(t.state)\(t.readOnly ? "  read-only" : "")  \(expiry)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand, ThroughAPI {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token: it opens nothing from now on.")

        @OptionGroup var home: HomeOptions
        @Argument(help: "The token's id (recipe token list).") var id: String

        func run() async throws {
            if let api = try ClientMode.controller() {
                return Terminal.line(try api.decode(APIDocuments.Done.self, try await api.send("DELETE", "tokens/\(ControllerClient.segment(id))")).done)
            }
            let store = try home.store()
            try store.revokeToken(id, actor: Identity.owner.actor)
            Terminal.line("token \(id) revoked")
        }
    }
}
