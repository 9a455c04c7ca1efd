import ArgumentParser
import Foundation
import PostgresState
import LocalCloud
import Store

/// `recipe state check|backup|restore`: the state file itself, even when it cannot be opened.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Check, copy or put back the home's state file, or move it to PostgreSQL.",
        subcommands: [Check.self, Backup.self, Restore.self, Migrate.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a home's state into an empty PostgreSQL, for several controllers (then serve with --database).")
        @Option(name: .long, help: "The state to copy: sqlite:HOME (a home folder).") var from: String
        @Option(name: .long, help: "The PostgreSQL to copy it to: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE.") var to: String

        func run() async throws {
            guard from.hasPrefix("sqlite:"), case let folder = String(from.dropFirst("sqlite:".count)), !folder.isEmpty else {
                throw ValidationError("--from \(from): give the home to copy as sqlite:HOME, such as sqlite:~/.recipe")
            }
            let home = URL(fileURLWithPath: (folder as NSString).expandingTildeInPath).standardizedFileURL
            guard FileManager.default.fileExists(atPath: home.appendingPathComponent("state.db").path) else {
                Terminal.error("\(home.path): no state.db to copy")
                throw ExitCode(1)
            }
            do {
                let url = try DatabaseURL(to)
                let source = try Store(home: home)
                let target = try PostgresStateDatabase(url: url, connections: 1)
                defer { target.close() }
                let copied = try StateCopy.copy(from: source.state, to: target)
                for (table, rows) in copied where rows > 0 { Terminal.line("\(table): \(rows) rows") }
                Terminal.line("copied \(home.path)/state.db to \(url): \(copied.reduce(0) { $0 + $1.rows }) rows in \(copied.count) tables; "
                              + "serve it with RECIPE_DATABASE_URL or --database, keeping --home \(home.path) for its secrets key and files")
            } catch {
                Terminal.error("\(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the state file's integrity, and say what to do when it is damaged.")
        @OptionGroup var home: HomeOptions

        func run() async throws {
            let folder = Store.home(explicit: home.home)
            let problems: [String]
            do {
                problems = try Store.check(home: folder)
            } catch {
                problems = ["\(error)"]
            }
            guard !problems.isEmpty else {
                Terminal.line("\(folder.path)/state.db: ok")
                return
            }
            for problem in problems.prefix(10) { Terminal.error("\(folder.path)/state.db: \(problem)") }
            let copies = ((try? FileManager.default.contentsOfDirectory(atPath: Store.backups(home: folder).path)) ?? []).sorted()
            Terminal.error(copies.isEmpty
                ? "no copy to restore; `recipe agents stop` stops this home's agents and services"
                : "put a copy back: recipe state restore \(Store.backups(home: folder).appendingPathComponent(copies.last!).path)")
            throw ExitCode(1)
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy the state (consistently, while it is in use) to FILE or HOME/backups.")
        @OptionGroup var home: HomeOptions
        @Argument(help: "Where to write the copy.") var file: String?

        func run() async throws {
            do {
                let store = try home.store()
                Terminal.line("copied to \(try store.backup(to: file.map { URL(fileURLWithPath: $0) }).path)")
            } catch {
                Terminal.error("\(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a copy back as the state (the one it replaces is kept in HOME/backups).")
        @OptionGroup var home: HomeOptions
        @Argument(help: "A copy made by recipe state backup (or before a migration).") var file: String

        func run() async throws {
            let folder = Store.home(explicit: home.home)
            let running = HomeProcesses.find(home: folder).count
            guard running == 0 else {
                Terminal.error("\(running) agents and services of \(folder.path) are running on the state; stop them first: recipe agents stop")
                throw ExitCode(1)
            }
            do {
                let kept = try Store.restore(home: folder, from: URL(fileURLWithPath: file))
                Terminal.line("restored \(file)" + (kept.map { "; the state it replaced is \($0.path)" } ?? ""))
            } catch {
                Terminal.error("\(error)")
                throw ExitCode(1)
            }
        }
    }
}

/// `recipe agents stop`: every agent and service of the home's local instances, found by their
/// home, whether or not the state can be read.
struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents", abstract: "Stop the home's local agents and services, even when its state cannot be read.",
        subcommands: [Stop.self])

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop every agent and service of the home's local instances.")
        @OptionGroup var home: HomeOptions

        func run() async throws {
            let folder = Store.home(explicit: home.home)
            let stopped = await HomeProcesses.stopAll(home: folder)
            Terminal.line("stopped \(stopped) processes of \(folder.path)")
        }
    }
}
