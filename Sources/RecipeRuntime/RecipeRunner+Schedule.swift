import Cloud
import Engine
import Foundation
import LuaKit
import Store

/// every(), at(), when{}: registrations checked at once (a bad one names its line) and run by
/// `recipe serve`; emit() and metric.put() feed it; converge() and scale() are what heal and
/// autoscale do with it.
extension RecipeRunner {
    func bindSchedule(_ vm: LuaVM) {
        let engine = engine
        vm.register("every") { [unowned self] call in
            let interval = try HookOptions.seconds(call.arg(1), "every")
            let fn = try Self.function(call, 2, "every(\"30s\", fn)")
            let options = try HookOptions(call.arg(3), "every")
            let key = scheduled.key(recipe?.hostKey ?? "", "every:\(call.arg(1).description)")
            scheduled.timers.append(TimerHook(key: key, schedule: .every(interval), function: fn, options: options))
            return .values([])
        }
        vm.register("at") { [unowned self] call in
            let text = try call.string(1, "at: cron")
            let fn = try Self.function(call, 2, "at(\"0 3 * * *\", fn)")
            let options = try HookOptions(call.arg(3), "at")
            let zone = call.arg(3).tableValue?["tz"].stringValue
            let cron: Cron
            do { cron = try Cron(text, timeZone: zone) } catch { throw PrimitiveError("at: \(error)") }
            let key = scheduled.key(recipe?.hostKey ?? "", "at:\(text)")
            scheduled.timers.append(TimerHook(key: key, schedule: .cron(cron), function: fn, options: options))
            return .values([])
        }
        vm.register("when") { [unowned self] call in
            let spec = try call.table(1, "when")
            let fn = try Self.function(call, 2, "when{ ... }(fn)")
            let options = try HookOptions(call.arg(3), "when")
            let alarm = try parseAlarm(spec, fn, options)
            scheduled.alarms.append(alarm)
            return .values([])
        }
        let limits = options.hookLimits
        registerChanging(vm, "emit") { call in
            let kind = try call.string(1, "emit: kind")
            if let problem = EventKinds.problem(with: kind) { throw PrimitiveError("emit: \(problem)") }
            let fields = call.arg(2).tableValue ?? LuaTable()
            var event = Event(actor: "recipe", cluster: fields["cluster"].stringValue, kind: kind,
                              subject: fields["subject"].stringValue, detail: fields["detail"].stringValue)
            let cause = (call.context as? HookContext)?.cause
            if let cause { event.caused(by: cause) }
            let caused = event
            // under recipe serve: too deep a chain is refused (a hook.loop), over the rate dropped
            if let limits, let refusal = limits.refusal(of: event) {
                guard let cause, event.depth > limits.maxDepth else { return .values([.nil, .string(refusal)]) }
                return .async {
                    try engine.store.recordLoop(refused: kind, cluster: caused.cluster, cause: cause, limit: limits.maxDepth)
                    return [.nil, .string(refusal)]
                }
            }
            return .async { [.int(try engine.store.record(caused).id ?? 0)] }
        }
        registerChanging(vm, "webhook_post") { call in
            let text = try call.string(1, "alert: webhook")
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw PrimitiveError("alert: webhook must be an http(s) URL")
            }
            let body = try JSONBridge.json(call.arg(2), "alert: body")
            let cluster = call.arg(3).stringValue
            return .async {
                do {
                    try await Webhook.post(url, json: body)
                    _ = try? engine.store.record(Event(actor: "scheduler", cluster: cluster, kind: "alert.sent",
                                                       subject: Webhook.redacted(url), detail: Webhook.summary(body)))
                } catch {
                    _ = try? engine.store.record(Event(actor: "scheduler", cluster: cluster, kind: "alert.failed",
                                                       subject: Webhook.redacted(url), detail: Webhook.summary(body), result: "failed: \(error)"))
                    throw error
                }
                return []
            }
        }
        registerChanging(vm, "metric_put") { call in
            let instance = try call.string(1, "metric.put: instance")
            let name = try call.string(2, "metric.put: name")
            guard let value = call.arg(3).doubleValue, value.isFinite else { throw PrimitiveError("metric.put: the value must be a number") }
            let hint = call.arg(4).stringValue
            return .async {
                try engine.store.putMetric(instance: try await engine.instanceID(instance, cluster: hint), name: name, value: value)
                return []
            }
        }
        registerChanging(vm, "cluster_converge") { [unowned self] call in
            let name = try call.string(1, "converge: cluster")
            let hooks = declarations[name].map { recipeHooks($0, vm.callbacks) }
            let apply = options.apply
            return .async {
                let report = try await engine.reconverge(name, hooks: hooks, options: apply)
                return [.string(report.plan.summary)]
            }
        }
        registerChanging(vm, "cluster_scale") { [unowned self] call in
            let name = try call.string(1, "scale: cluster")
            let layer = try call.string(2, "scale: layer")
            let count = call.arg(3).intValue.map { String($0) } ?? call.arg(3).stringValue ?? ""
            let hooks = declarations[name].map { recipeHooks($0, vm.callbacks) }
            let apply = options.apply
            return .async {
                let report = try await engine.scale(name, layer: layer, to: count, hooks: hooks, options: apply)
                return [.string(report.plan.summary)]
            }
        }
    }

    private static func function(_ call: LuaCall, _ index: Int, _ usage: String) throws -> LuaFunction {
        guard case .function(let fn) = call.arg(index) else { throw PrimitiveError("\(usage): expected a function") }
        return fn
    }

    /// A threshold on a layer this recipe declares (or one already on record).
    private func parseAlarm(_ t: LuaTable, _ fn: LuaFunction, _ options: HookOptions) throws -> AlarmHook {
        let allowed: Set<String> = ["cluster", "layer", "metric", "stat", "above", "below", "sustain", "cooldown"]
        try ClusterSpecParser.refuseUnknown(t, allowed: allowed, in: "when")
        guard let cluster = t["cluster"].stringValue, let layer = t["layer"].stringValue, let metric = t["metric"].stringValue else {
            throw PrimitiveError("when{ cluster = NAME, layer = NAME, metric = NAME, above = N or below = N [, stat, sustain, cooldown] }")
        }
        let layers = try declarations[cluster].map { $0.spec.layers.map(\.name) }
            ?? engine.store.layers(cluster: cluster).map(\.name)
        guard !layers.isEmpty || declarations[cluster] != nil else { throw PrimitiveError("when: no cluster named \(cluster)") }
        guard layers.contains(layer) else {
            throw PrimitiveError("when: cluster \(cluster) has no layer '\(layer)' (layers: \(layers.sorted().joined(separator: ", ")))")
        }
        let statName = t["stat"].stringValue ?? "avg"
        guard let stat = AlarmHook.Stat(rawValue: statName) else {
            throw PrimitiveError("when: stat '\(statName)' is not one of \(AlarmHook.Stat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let above = t["above"].doubleValue, below = t["below"].doubleValue
        guard (above == nil) != (below == nil) else { throw PrimitiveError("when: give exactly one of above = N and below = N") }
        let sustain = t["sustain"].isNil ? 0 : try HookOptions.seconds(t["sustain"], "when: sustain")
        let cooldown = t["cooldown"].isNil ? 60 : try HookOptions.seconds(t["cooldown"], "when: cooldown")
        let key = scheduled.key(recipe?.hostKey ?? "", "when:\(cluster)/\(layer)/\(metric)/\(statName)/\(above.map { ">\($0)" } ?? "<\(below!)")")
        return AlarmHook(key: key, cluster: cluster, layer: layer, metric: metric, stat: stat, above: above, below: below,
                         sustain: sustain, cooldown: cooldown, function: fn, options: options)
    }
}
