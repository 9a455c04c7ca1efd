import Cookbooks
import Foundation
import LuaKit

/// Another recipe's body, run in this VM for its hooks (`cluster:hooks()`, which clones use):
/// its text, a `require` over its own folder, and the switch that refuses changes while it runs.
extension RecipeRunner {
    /// Where `require` looks for a recipe in `folder`: the folder, `extra` (a cookbook under
    /// test), the cookbooks its `cookbooks.lock` pins (each checked against its digest first: a
    /// changed file refuses the run), its `cookbooks/`, then Stdlib (whose cookbooks are folders:
    /// `Stdlib/haproxy/haproxy.lua`).
    static func moduleRoots(of folder: URL, stdlib: URL, home: URL, extra: [URL] = []) throws -> [URL] {
        let locked = try CookbookLock.load(folder)?.verifiedFolders(home: home) ?? []
        return [folder] + extra + locked + [folder.appendingPathComponent("cookbooks"), stdlib]
    }

    func bindOtherRecipes(_ vm: LuaVM) {
        let stdlib = options.stdlib
        // { text, chunkname, dir } of a recipe file, or an error naming it
        vm.register("recipe_source") { call in
            let url = URL(fileURLWithPath: try call.string(1, "recipe_source")).standardizedFileURL
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw PrimitiveError("cannot read the recipe \(DisplayPath.of(url))")
            }
            return .value(.table(LuaTable(fields: [
                "text": .string(text), "chunkname": .string("@" + DisplayPath.of(url)),
                "display": .string(DisplayPath.of(url)), "dir": .string(url.deletingLastPathComponent().path),
            ])))
        }
        // require's loader for a recipe in another folder
        let home = engine.store.home
        vm.register("require_in") { [unowned vm] call in
            let folder = URL(fileURLWithPath: try call.string(1, "require_in"))
            return try vm.pushModule(try call.string(2, "require"), roots: try Self.moduleRoots(of: folder, stdlib: stdlib, home: home), on: call)
        }
        // While another recipe's body runs for its hooks, nothing changes state; answers the
        // previous setting, to restore.
        vm.register("loading_for_hooks") { [unowned self] call in
            let previous = loading
            if case .bool(let flag) = call.arg(1) { loading = flag }
            return .value(.bool(previous))
        }
    }
}
