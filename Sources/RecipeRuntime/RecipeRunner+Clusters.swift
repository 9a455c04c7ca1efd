import Cloud
import Engine
import Foundation
import LuaKit
import Store

/// cluster "name" { ... }, on(kind, fn), cluster.get/exists: declarations, hooks, plans.
extension RecipeRunner {
    func bindCluster(_ vm: LuaVM) {
        let engine = engine, output = output, summary = summary, recipe = recipe, options = options
        let callbacks = vm.callbacks
        // Checks the declaration at once, so a bad field names its own line; applies it later.
        vm.register("cluster_declare") { [unowned self] call in
            let name = try call.string(1, "cluster")
            let parser = ClusterSpecParser(kinds: engine.registry.kinds, defaultKind: engine.registry.defaultKind)
            do {
                declarations[name] = try parser.parse(name: name, try call.table(2, "cluster \(name)"))
            } catch let error as SpecError {
                throw error.located(call, cluster: name)
            }
            return .values([])
        }
        vm.register("cluster_apply") { [unowned self] call in
            let name = try call.string(1, "cluster")
            guard let declaration = declarations[name] else { throw PrimitiveError("cluster \(name) was not declared") }
            if loading { return .values([]) }  // loaded for its hooks: the declaration is only read
            let hooks = recipeHooks(declaration, callbacks)
            return .async {
                // held from the plan on, so no other command changes the cluster under it
                let lock = try await engine.hold(name)
                defer { lock.release() }
                let plan = try await engine.plan(declaration.spec)
                if options.printPlans { Self.printPlan(plan, output) }
                guard options.mode == .apply, !plan.isEmpty else {
                    if options.mode == .apply { try engine.remember(declaration.spec, recipe: recipe) }
                    summary.withLock { $0.add(cluster: name, plan: plan, report: nil) }
                    return []
                }
                let report = try await engine.apply(plan, spec: declaration.spec, recipe: recipe, hooks: hooks, options: options.apply)
                summary.withLock { $0.add(cluster: name, plan: plan, report: report) }
                if !report.online.isEmpty { output("\(name): online \(Self.names(report.online))") }
                if !report.setupFailed.isEmpty { output("\(name): setup failed on \(report.setupFailed.joined(separator: ", "))") }
                return []
            }
        }
        vm.register("on") { [unowned self] call in
            let kind = try call.string(1, "on")
            guard case .function(let fn) = call.arg(2) else { throw PrimitiveError("on(\"\(kind)\", fn): expected a function") }
            if let hook = HookKind(rawValue: kind) {
                globalHooks[hook, default: []].append(fn)
            } else if kind.contains(".") {
                if let problem = EventKinds.problem(withPattern: kind) { throw PrimitiveError("on: \(problem)") }
                let options = try HookOptions(call.arg(3), "on(\"\(kind)\")")
                let key = scheduled.key(recipe?.hostKey ?? "", "on:\(kind)")
                scheduled.events.append(EventHook(key: key, pattern: kind, function: fn, options: options))
            } else {
                throw PrimitiveError("on: unknown hook '\(kind)' (lifecycle: \(HookKind.allCases.map(\.rawValue).joined(separator: ", ")); events are dotted, such as instance.failed)")
            }
            return .values([])
        }
        vm.register("cluster_exists") { call in
            let name = try call.name(1, "cluster.exists", .cluster)
            if try engine.store.cluster(name) != nil { return .value(.bool(true)) }
            return .async { [.bool(!(try await engine.listInstances(cluster: name, layer: nil).isEmpty))] }
        }
        vm.register("cluster_spec") { call in
            let name = try call.name(1, "spec", .cluster)
            return .async {
                [try LiveSpec(store: engine.store).table(cluster: name, instances: try await engine.listInstances(cluster: name, layer: nil))]
            }
        }
        // The recipe that last declared the cluster, so a recipe can tell its own clusters apart.
        vm.register("cluster_recipe") { call in
            let name = try call.name(1, "recipe", .cluster)
            guard let record = try engine.store.cluster(name), let path = record.recipePath else { return .value(.nil) }
            return .value(.table(LuaTable(fields: [
                "file": .string(path), "arguments": .table(LuaTable(fields: record.arguments.mapValues(Self.argumentValue))),
            ])))
        }
    }

    /// The hooks of the cluster an instance belongs to, when this recipe declared it: the
    /// instance is looked up through its provider (any provider, any id of the cluster).
    func hooks(forInstance id: String, cluster hint: String? = nil, _ vm: LuaVM) -> @Sendable () async throws -> ((any LifecycleHooks)?, ApplyOptions) {
        let byCluster = declarations.mapValues { recipeHooks($0, vm.callbacks) }
        let engine = engine, apply = options.apply
        return {
            let cluster = try await engine.instance(id, cluster: hint).cluster
            return (byCluster[cluster], apply)
        }
    }

    /// The hooks of one declaration, with attributes layered cluster < layer < run.
    func recipeHooks(_ declaration: Declaration, _ callbacks: LuaCallbacks) -> RecipeHooks {
        var attributes: [String: LuaValue] = [:]
        for layer in declaration.spec.layers {
            attributes[layer.name] = HookAttributes.of(declaration.spec, layer: layer.name, arguments: options.arguments)
        }
        return RecipeHooks(callbacks: callbacks, layers: declaration.hooks, global: globalHooks, attributes: attributes)
    }

    /// A list of names for one line: long lists are cut to a count.
    static func names(_ list: [String]) -> String {
        list.count <= 8 ? list.joined(separator: ", ") : list.prefix(6).joined(separator: ", ") + " and \(list.count - 6) more"
    }

    static func printPlan(_ plan: Plan, _ output: @Sendable (String) -> Void) {
        for step in plan.steps { output(step.line) }
        output("\(plan.cluster): \(plan.summary)")
    }
}

/// Runs a declaration's hook functions in the recipe's VM, as coroutines with their own budget.
struct RecipeHooks: LifecycleHooks {
    let callbacks: LuaCallbacks
    let layers: [String: [HookKind: LuaFunction]]
    let global: [HookKind: [LuaFunction]]
    let attributes: [String: LuaValue]

    func declares(_ kind: HookKind, layer: String) -> Bool {
        layers[layer]?[kind] != nil || !(global[kind] ?? []).isEmpty
    }

    func run(_ kind: HookKind, _ event: HookEvent, timeLimit: Double) async throws {
        let functions = ((layers[event.layer]?[kind]).map { [$0] } ?? []) + (global[kind] ?? [])
        guard !functions.isEmpty else { return }
        var told = LuaHookEvent(kind: kind.rawValue)
        told.cluster = event.cluster
        told.layer = event.layer
        told.instance = event.instance
        told.subject = event.instance.name
        told.reason = event.reason
        told.app = event.app
        told.target = event.target
        told.attributes = attributes[event.layer] ?? .table(LuaTable())
        // what the hook logs and runs goes to the log the engine keeps of this run
        let context = HookContext(output: LogCapture.current)
        for function in functions {
            _ = try await callbacks.call(function, [told.lua], timeLimit: timeLimit, context: context)
        }
    }
}
