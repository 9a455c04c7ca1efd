import ArgumentParser
import Cookbooks
import Foundation
import Store
import Toolkit

/// `recipe cookbook add|install`: a recipe folder's shared cookbooks, their versions and the lock
/// that proves what runs.
struct CookbookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cookbook", abstract: "Add and install the versioned cookbooks a recipe folder requires (cookbooks.lua, cookbooks.lock).",
        subcommands: [Add.self, Install.self, Outdated.self, Update.self, CookbookTestCommand.self, Doc.self])

    struct FolderOption: ParsableArguments {
        @Option(name: .long, help: "The recipe folder (default: this one).")
        var dir: String = "."

        var url: URL { URL(fileURLWithPath: dir).standardizedFileURL }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Record a cookbook in cookbooks.lua (then run `recipe cookbook install`).",
            discussion: "SOURCE is git+URL (its tags are versions) or file:FOLDER; @RANGE (^1.2, ~1.2.3, >=1.0, 1.2.3) defaults to any.")

        @OptionGroup var home: HomeOptions
        @OptionGroup var folder: FolderOption
        @Argument(help: "The cookbook's name.") var name: String
        @Argument(help: "Where it comes from, and which versions: git+URL[@RANGE], https://….tar.gz (with --sha256) or file:FOLDER[@RANGE].") var source: String
        @Option(help: "An https archive's SHA-256: what is fetched must be what was reviewed.") var sha256: String?

        func run() async throws {
            try Names.check(name, as: .cookbook)
            let (where_, range) = try CookbookRequirements.Entry.split(source, sha256: sha256)
            var requirements = try await CookbookRequirements.load(folder.url) ?? CookbookRequirements(entries: [])
            requirements.put(.init(name: name, source: where_, range: range))
            try requirements.write(to: folder.url)
            Terminal.line("\(name) \(range) from \(where_) in \(CookbookRequirements.fileName); `recipe cookbook install` resolves it")
        }
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install", abstract: "Resolve cookbooks.lua into cookbooks.lock and fetch every cookbook into the home's cache.",
            discussion: "With a lock that covers cookbooks.lua, installs exactly what it pins (offline when the cache has it). --frozen, the default under CI=true, refuses to change the lock.")

        @OptionGroup var home: HomeOptions
        @OptionGroup var folder: FolderOption
        @Flag(name: .long, help: "Refuse to change cookbooks.lock (the default when CI=true).") var frozen = false

        func run() async throws {
            let installer = CookbookInstaller(folder: folder.url, home: Store.home(explicit: home.home))
            switch try await installer.install(frozen: frozen || Terminal.underCI) {
            case .locked(let lock, let fetched):
                Terminal.line("\(lock.cookbooks.count) cookbook(s) installed as \(CookbookLock.fileName) pins them (\(fetched) fetched, \(lock.cookbooks.count - fetched) from the cache)")
            case .resolved(let lock):
                for entry in lock.cookbooks {
                    Terminal.line("\(entry.name) \(entry.version)  \(entry.commit.prefix(12))  sha256 \(entry.sha256.prefix(16))…  (\(entry.requiredBy.joined(separator: ", ")))")
                }
                Terminal.line("wrote \(CookbookLock.fileName): \(lock.cookbooks.count) cookbook(s)")
            }
        }
    }

    struct Outdated: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "outdated", abstract: "Each locked cookbook's version, the newest its ranges take, and the newest of all.")

        @OptionGroup var home: HomeOptions
        @OptionGroup var folder: FolderOption

        func run() async throws {
            let rows = try await CookbookInstaller(folder: folder.url, home: Store.home(explicit: home.home)).outdated()
            let table = [("cookbook", "locked", "in range", "newest")] + rows.map { ($0.name, $0.locked, $0.inRange, $0.newest) }
            let widths = [table.map(\.0.count).max()!, table.map(\.1.count).max()!, table.map(\.2.count).max()!]
            for row in table {
                Terminal.line([row.0, row.1, row.2].enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ") + "  " + row.3)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", abstract: "Move a cookbook (or every one) to the newest release its ranges take, and write the lock.")

        @OptionGroup var home: HomeOptions
        @OptionGroup var folder: FolderOption
        @Argument(help: "The cookbook to move (default: all of them).") var name: String?

        func run() async throws {
            let (before, after) = try await CookbookInstaller(folder: folder.url, home: Store.home(explicit: home.home)).update(name)
            for entry in after.cookbooks {
                let was = before?.cookbooks.first { $0.name == entry.name }?.version
                Terminal.line("\(entry.name) " + (was == nil ? "\(entry.version) (new)" : was == entry.version ? "\(entry.version) (unchanged)" : "\(was!) -> \(entry.version)"))
            }
            Terminal.line("wrote \(CookbookLock.fileName)")
        }
    }

    struct Doc: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "doc", abstract: "A cookbook's reference in Markdown, from cookbook.lua and its modules' --- comments.")

        @Argument(help: "The cookbook's folder.") var path: String

        func run() async throws {
            print(try await CookbookDoc.render(URL(fileURLWithPath: path).standardizedFileURL), terminator: "")
        }
    }
}
