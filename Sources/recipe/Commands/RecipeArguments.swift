import ArgumentParser
import Controller
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Store

/// What `run` and `plan` share: the recipe, its KEY=VALUE arguments and its limits.
struct RecipeArguments: ParsableArguments {
    @OptionGroup var home: HomeOptions
    @OptionGroup var lock: LockOptions

    @Argument(help: "The recipe file.")
    var file: String

    @Argument(help: "KEY=VALUE arguments, the recipe's `arg` table.")
    var arguments: [String] = []

    @Option(name: .long, help: "Stop the recipe after this many seconds (default: no limit).")
    var timeLimit: Double?

    @Option(name: .long, help: "Memory cap of the Lua VM in MiB.")
    var memoryLimit: Int = 512

    @Option(name: .long, help: "How many instances are worked on at once.")
    var parallelism: Int = 10

    @Option(name: .long, help: "Seconds the cluster gets, once configured, to answer its services' checks.")
    var serveTimeout: Double = 30

    @Flag(name: .long, help: "Print Lua tracebacks with errors.")
    var verbose = false

    @Flag(name: .long, help: "Refuse the run when an argument is never read by the recipe (else a warning).")
    var strict = false

    func keyValues() throws -> [String: String] {
        var args: [String: String] = [:]
        for argument in arguments {
            guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
                throw ValidationError("argument '\(argument)' is not KEY=VALUE")
            }
            args[String(argument[..<eq])] = String(argument[argument.index(after: eq)...])
        }
        return args
    }

    /// Runs the recipe; a Lua error is printed as `file:line: message` and exits 1.
    func execute(mode: RecipeOptions.Mode, printPlans: Bool = true) async throws -> (Engine, RunSummary) {
        let args = try keyValues()
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no recipe at \(file)") }
        guard parallelism > 0 else { throw ValidationError("--parallelism must be at least 1") }
        guard serveTimeout >= 0 else { throw ValidationError("--serve-timeout must not be negative") }
        try lock.apply()
        let engine = Engine.cli(try home.store(), progress: Terminal.progress)
        var options = RecipeOptions(
            timeLimit: timeLimit, memoryLimit: memoryLimit << 20, arguments: args, mode: mode,
            apply: ApplyOptions(parallelism: parallelism, serveTimeout: serveTimeout), printPlans: printPlans,
            strictArguments: strict)
        options.frozenCookbooks = Terminal.underCI
        let runner = RecipeRunner(engine: engine, options: options)
        defer { Self.reportCalls(engine) }
        do {
            return (engine, try await runner.run(file: url))
        } catch let error as LuaError {
            Terminal.error(error.message)
            if verbose && !error.traceback.isEmpty { Terminal.error(error.traceback) }
            throw ExitCode(1)
        }
    }

    struct Upload: Encodable, Sendable {
        var source: String
        var name: String
        var arguments: [String: String]
    }

    /// Through the API (admins only): the recipe's text and arguments are sent, the controller
    /// plans or runs it and answers each cluster's plan and what the recipe printed. A recipe
    /// that requires modules of its own folder cannot be planned there: only its file is sent.
    func remote(_ api: ControllerClient, verb: String, apply: Bool) async throws -> APIDocuments.Run {
        let args = try keyValues()
        guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("no recipe at \(file)") }
        let local: [(Bool, String)] = [(timeLimit != nil, "--time-limit"), (memoryLimit != 512, "--memory-limit"), (parallelism != 10, "--parallelism"),
                                       (serveTimeout != 30, "--serve-timeout"), (strict, "--strict")]
        for (given, option) in local where given {
            throw ControllerFailure("recipe \(verb) \(option): not available through the API (the controller runs recipes with its own limits)")
        }
        let source: String
        do { source = try String(contentsOfFile: file, encoding: .utf8) } catch { throw ValidationError("cannot read \(file): \(error.localizedDescription)") }
        let name = URL(fileURLWithPath: file).lastPathComponent
        let data: Data
        do {
            data = try await api.send("POST", apply ? "recipes/run" : "recipes/plan", apply ? try lock.query() : [:],
                                      body: Upload(source: source, name: name, arguments: args))
        } catch let failure as ControllerFailure {
            throw ControllerFailure(ours(failure.message, name: name), status: failure.status)
        }
        var answer = try api.decode(APIDocuments.Run.self, data)
        answer.output = answer.output.map { ours($0, name: name) }
        for i in answer.failures.indices { answer.failures[i].message = ours(answer.failures[i].message, name: name) }
        return answer
    }

    /// The controller names an uploaded recipe where it keeps it (`HOME/uploads/DIGEST/shop.lua:3: …`):
    /// such a line names the file as it was given here, as a local run would (`recipes/shop.lua:3: …`).
    func ours(_ text: String, name: String) -> String {
        text.replacingOccurrences(of: #"[^\s:]*/uploads/[0-9a-f]+/"# + NSRegularExpression.escapedPattern(for: name) + ":",
                                  with: NSRegularExpression.escapedTemplate(for: file) + ":", options: .regularExpression)
    }

    /// Each cluster's plan as a local run prints it, then what the recipe printed.
    static func printPlans(_ answer: APIDocuments.Run) {
        for cluster in answer.clusters {
            for step in cluster.steps { Terminal.line(step.line) }
            Terminal.line("\(cluster.name): \(Plan.summary(adds: cluster.add, changes: cluster.change, destroys: cluster.destroy))")
        }
        for line in answer.output { Terminal.line(line) }
    }

    /// Every failed hook on stderr, its error naming the recipe line; any makes the command exit 1.
    static func reportFailures(_ failures: [HookFailure]) throws {
        guard !failures.isEmpty else { return }
        for failure in failures { Terminal.error(failure.line) }
        let clusters = Set(failures.map(\.cluster)).sorted().map { "recipe events --cluster \($0)" }.joined(separator: ", ")
        Terminal.error("recipe: \(failures.count) hook\(failures.count == 1 ? "" : "s") failed (also in \(clusters))")
        throw ExitCode(1)
    }

    /// The EC2 calls the run made, on stderr: `ec2: 16 API calls (9 changing, 0 retried): AllocateAddress 1, ...`.
    static func reportCalls(_ engine: Engine) {
        for line in engine.callReports { Terminal.error(line) }
    }
}
