import Foundation
import LuaKit

/// The arguments a recipe was given and never read: a typo (`wbe=5`) is not silently dropped.
extension RecipeRunner {
    func bindArguments(_ vm: LuaVM) {
        let given = Array(options.arguments.keys), strict = options.strictArguments, summary = summary, warn = warn
        // Called once the recipe's body has run, with the keys it read through `arg`; answers the
        // refusal to raise under strict, else warns at once (before anything is applied).
        vm.register("arguments_unread") { call in
            var read = Set<String>()
            if case .table(let names) = call.arg(1) { read = Set(names.array.compactMap(\.stringValue)) }
            let unread = given.filter { !read.contains($0) }.sorted()
            guard !unread.isEmpty else { return .values([]) }
            summary.withLock { $0.unusedArguments = unread }
            guard strict else {
                for line in RunSummary.unusedLines(unread) { warn("warning: \(line)") }
                return .values([])
            }
            return .value(.string(RunSummary.unusedLines(unread).joined(separator: "; ") + " (refused: arguments are strict)"))
        }
    }
}

extension RunSummary {
    /// `argument 'wbe' was not used by the recipe`, one line per argument.
    public static func unusedLines(_ names: [String]) -> [String] {
        names.map { "argument '\($0)' was not used by the recipe" }
    }
}
