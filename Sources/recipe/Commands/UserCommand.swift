import ArgumentParser
import Controller
import Foundation
import Store

/// `recipe user add|list|remove`: who may reach the API. The local CLI acts as the home's owner.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Add, list and remove the users who may reach the API (recipe serve).",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand, ThroughAPI {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a user (no rights until granted, unless --admin).")

        @OptionGroup var home: HomeOptions
        @Argument(help: "The user's name.", transform: NameArgument.of(.user)) var name: String
        @Flag(name: .long, help: "Admin everywhere: every cluster, creating clusters, users, tokens and secrets.") var admin = false

        struct Body: Encodable, Sendable {
            var name: String
            var admin: Bool
        }

        func run() async throws {
            if let api = try ClientMode.controller() {
                _ = try await api.send("POST", "users", body: Body(name: name, admin: admin))
                return Terminal.line("user \(name) added" + (admin ? " (admin)" : ""))
            }
            let store = try home.store()
            try store.addAccount(name, admin: admin, actor: Identity.owner.actor)
            Terminal.line("user \(name) added" + (admin ? " (admin)" : ""))
        }
    }

    struct List: AsyncParsableCommand, ThroughAPI {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The users, their grants and how many live tokens each has.")

        @OptionGroup var home: HomeOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let users: [UserListing]
            if let api = try ClientMode.controller() {
                let data = try await api.get("users")
                if json { return Terminal.document(data) }
                users = try api.decode([UserListing].self, data)
            } else {
                users = try UserListing.all(try home.store())
                if json { return try Terminal.printJSON(users) }
            }
            for user in users {
                let rights = user.admin ? ["admin"] : user.grants.map(\.line)
                Terminal.line("\(user.name)  \(rights.isEmpty ? "no grants" : rights.joined(separator: ", "))  tokens: \(user.tokens)")
            }
        }
    }

    struct Remove: AsyncParsableCommand, ThroughAPI {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a user: their tokens are revoked and their grants dropped.")

        @OptionGroup var home: HomeOptions
        @Argument(help: "The user's name.", transform: NameArgument.of(.user)) var name: String

        func run() async throws {
            if let api = try ClientMode.controller() {
                return Terminal.line(try api.decode(APIDocuments.Done.self, try await api.send("DELETE", "users/\(name)")).done)
            }
            let store = try home.store()
            try store.removeAccount(name, actor: Identity.owner.actor)
            Terminal.line("user \(name) removed; their tokens are revoked")
        }
    }
}

/// `recipe grant NAME CLUSTER LEVEL`: a user's level on one cluster (OpsWorks' deny, show, deploy, manage).
struct GrantCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "grant", abstract: "Set a user's level on a cluster: deny, show, deploy or manage.",
        discussion: """
            show reads (status, plan); deploy adds deploy, rollback and undeploy; manage adds run, scale, \
            clone, destroy and grants on that cluster. A recipe whose users block names the user sets their \
            level on its cluster again on each run.
            """)

    @OptionGroup var home: HomeOptions
    @Argument(help: "The user's name.", transform: NameArgument.of(.user)) var name: String
    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster)) var cluster: String
    @Argument(help: "deny, show, deploy or manage.", transform: { try AccessLevel.parse($0) }) var level: AccessLevel
    @Flag(name: .long, help: "Configure gives the user SSH access to the cluster's instances.") var ssh = false
    @Flag(name: .long, help: "… with sudo.") var sudo = false

    struct Body: Encodable, Sendable {
        var level: String
        var ssh, sudo: Bool
    }

    func run() async throws {
        if let api = try ClientMode.controller() {
            _ = try await api.send("PUT", "clusters/\(cluster)/grants/\(name)", body: Body(level: level.rawValue, ssh: ssh, sudo: sudo))
            return Terminal.line("\(name) has \(level.rawValue) on \(cluster)" + (sudo ? " (ssh, sudo)" : ssh ? " (ssh)" : ""))
        }
        let store = try home.store()
        try store.grant(GrantRecord(user: name, cluster: cluster, level: level, ssh: ssh || sudo, sudo: sudo), actor: Identity.owner.actor)
        Terminal.line("\(name) has \(level.rawValue) on \(cluster)" + (sudo ? " (ssh, sudo)" : ssh ? " (ssh)" : ""))
    }
}
