import Cloud
import LuaKit

/// Names and ids a primitive takes are checked by their kind's rule (Toolkit's `Names`), so a
/// hostile one is refused at the recipe line before anything happens.
extension RecipeRunner {
    /// Refuses `value` (when given) that breaks the rule of `kind`.
    static func checkName(_ value: String?, _ kind: NameKind, _ what: String) throws {
        guard let value else { return }
        if let problem = Names.problem(value, as: kind) { throw PrimitiveError("\(what): \(problem)") }
    }

    /// A volume's name as it is recorded: NAME, or SLOT:NAME for a layer slot's volume (web-1:data).
    static func checkVolumeName(_ value: String?, _ what: String) throws {
        guard let value, !value.isEmpty else { return }
        let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2 { try checkName(parts[0], .instance, what) }
        try checkName(parts.last!, .volume, what)
    }
}

extension LuaCall {
    /// Argument `index` as a string that follows the rule of `kind`.
    func name(_ index: Int, _ what: String, _ kind: NameKind) throws -> String {
        let value = try string(index, what)
        try RecipeRunner.checkName(value, kind, what)
        return value
    }
}
