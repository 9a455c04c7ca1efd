import ArgumentParser
import Foundation

/// A command that also works as a client of the controller: with RECIPE_URL set, its `run` asks
/// the API (`ClientMode.controller()`) and renders the answer with the code the local command
/// renders its own result with. Every other command refuses while RECIPE_URL is set.
protocol ThroughAPI {}

/// Whether this run acts on the local home, as its owner, or asks the controller at RECIPE_URL.
enum ClientMode {
    /// RECIPE_URL, when it is set and not empty.
    static var url: String? {
        ProcessInfo.processInfo.environment["RECIPE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The controller's client when RECIPE_URL is set, else nil (the command works on the local
    /// home). The token is RECIPE_TOKEN, else the one `recipe login` saved for that URL; without
    /// either the call goes out without one and the controller's 401 says how to get one.
    /// RECIPE_URL may name several controllers of the same state, comma-separated: the first
    /// is asked first (and names the saved token), the others when it cannot be reached.
    static func controller() throws -> ControllerClient? {
        guard let url else { return nil }
        let all = try url.split(separator: ",").map { try ControllerClient.normalized(String($0)) }
        guard let normalized = all.first else { return nil }
        var client: ControllerClient
        if let token = ProcessInfo.processInfo.environment["RECIPE_TOKEN"], !token.isEmpty {
            client = try ControllerClient(url: normalized, token: token)
        } else {
            client = try ControllerClient(url: normalized, token: try Credentials.load().token(for: normalized))
        }
        client.alternates = Array(all.dropFirst())
        return client
    }

    /// Why `command` cannot run now: nil in local mode, for a command that works through the
    /// API, for a group (which only prints its help) and for the parser's own (`help`).
    static func refusal(_ command: any ParsableCommand) -> String? {
        guard url != nil, !(command is ThroughAPI) else { return nil }
        let type = Swift.type(of: command)
        guard type.configuration.subcommands.isEmpty, let name = path(to: type, in: RecipeCommand.self) else { return nil }
        return refusal(name.joined(separator: " "))
    }

    static func refusal(_ name: String) -> String {
        "recipe \(name): not available through the API (RECIPE_URL is set); unset RECIPE_URL to act on the local home"
    }

    /// `["secret", "set"]` for SecretCommand.SetValue: the words that name it under `root`.
    private static func path(to type: any ParsableCommand.Type, in root: any ParsableCommand.Type) -> [String]? {
        for sub in root.configuration.subcommands {
            if ObjectIdentifier(sub) == ObjectIdentifier(type) { return [sub._commandName] }
            if let rest = path(to: type, in: sub) { return [sub._commandName] + rest }
        }
        return nil
    }
}
