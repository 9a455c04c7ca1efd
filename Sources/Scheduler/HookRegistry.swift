import Cloud
import Engine
import Foundation
import LuaKit
import RecipeRuntime

/// A hook the scheduler can run: where its function lives and how to run it.
struct ResolvedHook: Sendable {
    let key: String
    let function: LuaFunction
    let options: HookOptions
    let callbacks: LuaCallbacks
    /// The clusters its recipe declares (empty: a recipe that only schedules).
    let scope: [String]
    /// Which hosting of its recipe it belongs to, one VM each: runs started together enter
    /// their VM together (a reloaded recipe is a new one, with functions of its own).
    let vm: Int
}

/// The recipes `recipe serve` hosts, by host key (path and arguments), and their hooks by key. Read from every loop.
final class HookRegistry: Sendable {
    private struct Hosted {
        var recipes: [String: (recipe: HostedRecipe, vm: Int)] = [:]
        var attached = 0
        var hooks: [String: ResolvedHook] = [:]
        var eventHooks: [(EventHook, ResolvedHook)] = []

        /// The hooks by key and the event hooks, from the recipes hosted now.
        mutating func rebuild() {
            hooks = [:]
            eventHooks = []
            for (hosted, vm) in recipes.values {
                let scope = hosted.clusters
                func add(_ key: String, _ function: LuaFunction, _ options: HookOptions) -> ResolvedHook {
                    let resolved = ResolvedHook(key: key, function: function, options: options, callbacks: hosted.callbacks,
                                                scope: scope, vm: vm)
                    hooks[key] = resolved
                    return resolved
                }
                for hook in hosted.events { eventHooks.append((hook, add(hook.key, hook.function, hook.options))) }
                for timer in hosted.timers { _ = add(timer.key, timer.function, timer.options) }
                for alarm in hosted.alarms { _ = add(alarm.key, alarm.function, alarm.options) }
            }
        }
    }
    private let state = Locked(Hosted())

    func attach(_ hosted: HostedRecipe) {
        state.withLock {
            $0.attached += 1
            $0.recipes[hosted.key] = (hosted, $0.attached)
            $0.rebuild()
        }
    }

    /// A recipe no longer hosted (its clusters were destroyed): its hooks are gone.
    func detach(_ key: String) {
        state.withLock {
            $0.recipes[key] = nil
            $0.rebuild()
        }
    }

    func hook(_ key: String) -> ResolvedHook? { state.withLock { $0.hooks[key] } }

    /// The event hooks that take an event of `kind` in `cluster`: those of recipes that declare
    /// the cluster, and those of recipes that declare none.
    func matching(kind: String, cluster: String?) -> [ResolvedHook] {
        state.withLock {
            $0.eventHooks.filter { hook, resolved in
                hook.matches(kind) && (resolved.scope.isEmpty || cluster.map(resolved.scope.contains) == true)
            }.map(\.1)
        }
    }

    var hosted: [HostedRecipe] { state.withLock { $0.recipes.values.map(\.recipe) } }
}
