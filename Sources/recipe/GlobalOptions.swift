import Foundation

/// Options accepted before the subcommand as well as after it (`recipe --home H status`).
enum GlobalOptions {
    /// Takes `--home H` (or `--home=H`) from before the subcommand and makes it the run's
    /// RECIPE_HOME, which every command reads when it is given no `--home` of its own.
    static func hoist(_ arguments: [String]) -> [String] {
        var rest = arguments[...]
        while let first = rest.first, first.hasPrefix("--home") {
            if first == "--home", rest.count >= 2 {
                setenv("RECIPE_HOME", rest[rest.startIndex + 1], 1)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--home=") {
                setenv("RECIPE_HOME", String(first.dropFirst("--home=".count)), 1)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        return Array(rest)
    }
}
