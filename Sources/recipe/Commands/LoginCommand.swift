import ArgumentParser
import Controller
import Foundation

/// `recipe login URL`: keeps a token for a controller, checked first, so that with RECIPE_URL set
/// commands need no RECIPE_TOKEN. The token comes from --token, RECIPE_TOKEN, or stdin (typed
/// without echo at a terminal); it is never printed.
struct LoginCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Check a controller's API token and keep it for RECIPE_URL (in ~/.config/recipe/credentials, mode 0600).")

    @Argument(help: "The controller, as `recipe serve` prints it (default: $RECIPE_URL).")
    var url: String?

    @Option(name: .long, help: "The token (else $RECIPE_TOKEN, else read from stdin).")
    var token: String?

    func run() async throws {
        guard let url = url ?? ClientMode.url else { throw ValidationError("name the controller: recipe login URL") }
        let secret = try token ?? ProcessInfo.processInfo.environment["RECIPE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.readToken(url)
        let client = try ControllerClient(url: url, token: secret.trimmingCharacters(in: .whitespacesAndNewlines))
        let me = try client.decode(APIDocuments.WhoAmI.self, try await client.get("whoami"))
        var credentials = try Credentials.load()
        credentials.set(client.token, for: client.url)
        try credentials.save()
        let rights = me.admin ? ["admin"] : me.grants.isEmpty ? ["no grants"] : me.grants.map(\.line)
        Terminal.line("logged in to \(client.url) as \(me.user ?? me.actor) (\(rights.joined(separator: ", "))\(me.read_only ? ", read-only token" : ""))")
        Terminal.line("the token is kept in \(credentials.file.path); with RECIPE_URL=\(client.url) commands use it")
    }

    static func readToken(_ url: String) throws -> String {
        do {
            return try SecretInput.read(prompt: "token for \(url): ")
        } catch {
            throw ValidationError("no token: pass --token, set RECIPE_TOKEN or give it on stdin")
        }
    }
}

/// `recipe logout [URL]`: forgets the token kept for a controller (it stays valid there until revoked).
struct LogoutCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Forget the token `recipe login` kept for a controller.")

    @Argument(help: "The controller (default: $RECIPE_URL, or the only one kept).")
    var url: String?

    func run() async throws {
        var credentials = try Credentials.load()
        let named = try (url ?? ClientMode.url).map(ControllerClient.normalized)
        guard let target = named ?? (credentials.tokens.count == 1 ? credentials.tokens.keys.first : nil) else {
            throw ValidationError(credentials.tokens.isEmpty ? "no controller is logged in" : "name the controller: recipe logout URL")
        }
        guard credentials.token(for: target) != nil else { throw ControllerFailure("no token is kept for \(target) in \(credentials.file.path)") }
        credentials.set(nil, for: target)
        try credentials.save()
        Terminal.line("logged out of \(target): its token is no longer kept (it opens the API until it is revoked or expires)")
    }
}
