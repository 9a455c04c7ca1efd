import ArgumentParser
import Cloud
import Controller
import Foundation
import Store

/// `recipe secret set|list|remove`: the home's secrets, encrypted at rest; values never printed.
struct SecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Set, list and remove the secrets recipes use with secret(\"NAME\").",
        subcommands: [SetValue.self, List.self, Remove.self])

    struct SetValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set a secret: its value from stdin, or typed at a prompt that does not echo it.")

        @OptionGroup var home: HomeOptions
        @Argument(help: "The secret's name.") var name: String

        func run() async throws {
            try SecretVault.check(name)
            let value = try SecretInput.read(prompt: "value for \(name): ")
            let store = try home.store()
            try SecretVault(home: store.home).set(name, value: value)
            try store.record(Event(actor: "owner", cluster: nil, kind: "secret.set", subject: name))
            Terminal.line("secret \(name) set")
        }
    }

    struct List: AsyncParsableCommand, ThroughAPI {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The secrets' names (never their values).")

        @OptionGroup var home: HomeOptions

        func run() async throws {
            if let api = try ClientMode.controller() {
                for secret in try api.decode([APIDocuments.SecretName].self, try await api.get("secrets")) { Terminal.line(secret.name) }
                return
            }
            for name in SecretVault(home: Store.home(explicit: home.home)).names() { Terminal.line(name) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a secret.")

        @OptionGroup var home: HomeOptions
        @Argument(help: "The secret's name.") var name: String

        func run() async throws {
            let store = try home.store()
            guard try SecretVault(home: store.home).remove(name) else { throw CloudError("no secret named \(name)") }
            try store.record(Event(actor: "owner", cluster: nil, kind: "secret.removed", subject: name))
            Terminal.line("secret \(name) removed")
        }
    }
}
