import Cloud
import LuaKit

extension RecipeRunner {
    /// `secret("NAME")` checks, at the recipe line, that the secret is set, and hands Lua a
    /// reference to it (its name), never its value: that is read only where the text reaches a
    /// machine (the agent, a written file).
    func bindSecrets(_ vm: LuaVM) {
        let vault = SecretVault(home: engine.store.home)
        vm.register("secret") { call in
            let name = try call.string(1, "secret: name")
            if let problem = Names.problem(name, as: .secret) { throw PrimitiveError("secret: \(problem)") }
            guard vault.contains(name) else {
                throw PrimitiveError("secret '\(name)' is not set in this home: `recipe secret set \(name)` sets it")
            }
            return .value(.string(SecretText.reference(name)))
        }
    }
}
