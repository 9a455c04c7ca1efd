import Cloud
import Engine
import Foundation
import LuaKit

/// The one table every hook is called with, whoever runs it: lifecycle hooks (RecipeHooks), and
/// `on(kind)` event hooks, `every`/`at` timers and `when` alarms (recipe serve). Fields that do
/// not apply stay nil. Stdlib/recipe/event.lua then gives `instance` and `target` their methods
/// and makes `attributes` read-only: producers agree on names and plain values only.
public struct LuaHookEvent: Sendable {
    /// The lifecycle hook (setup, configure, ...), the event's kind (instance.failed,
    /// alarm.fired, ...), or "timer".
    public var kind: String
    public var cluster: String?
    public var layer: String?
    /// The instance the hook runs on (lifecycle), or the one the event names.
    public var instance: Instance?
    /// The instance a drain or ready hook is about (the hook runs on its balancer).
    public var target: Instance?
    /// Why a lifecycle hook runs: launched, membership, terminating, ...
    public var reason: String?
    /// The app a deploy or undeploy hook is about.
    public var app: String?
    /// Cluster, then layer, then run attributes, each over the last.
    public var attributes: LuaValue = .nil
    /// What the event is about, by name (an instance, a layer for alarm.fired), and its detail.
    public var subject: String?
    public var detail: String?
    /// A scheduler run's attempt (1, then its retries) and when it was due.
    public var attempt: Int?
    public var due: Date?
    /// The event log's row, for hooks run on a recorded event.
    public var id: Int64?
    public var time: Date?
    public var actor: String?
    public var result: String?

    public init(kind: String) {
        self.kind = kind
    }

    public var lua: LuaValue {
        var t = LuaTable()
        t["kind"] = .string(kind)
        t["cluster"] = cluster.map(LuaValue.string) ?? .nil
        t["layer"] = layer.map(LuaValue.string) ?? .nil
        t["instance"] = instance?.lua ?? .nil
        t["target"] = target?.lua ?? .nil
        t["reason"] = reason.map(LuaValue.string) ?? .nil
        t["app"] = app.map(LuaValue.string) ?? .nil
        t["attributes"] = attributes
        t["subject"] = subject.map(LuaValue.string) ?? .nil
        t["detail"] = detail.map(LuaValue.string) ?? .nil
        t["attempt"] = attempt.map { .int(Int64($0)) } ?? .nil
        t["due"] = due.map { .number($0.timeIntervalSince1970) } ?? .nil
        t["id"] = id.map(LuaValue.int) ?? .nil
        t["time"] = time.map { .number($0.timeIntervalSince1970) } ?? .nil
        t["actor"] = actor.map(LuaValue.string) ?? .nil
        t["result"] = result.map(LuaValue.string) ?? .nil
        return .table(t)
    }
}

/// What hooks read as `attributes`: the cluster's, then the layer's, then the run's `KEY=VALUE`
/// arguments, each over the last.
public enum HookAttributes {
    public static func of(_ spec: ClusterSpec, layer: String, arguments: [String: String]) -> LuaValue {
        let run = JSONValue.object(arguments.mapValues { text in
            switch RecipeRunner.argumentValue(text) {
            case .int(let i): return .int(i)
            case .number(let d): return .number(d)
            case .bool(let b): return .bool(b)
            default: return .string(text)
            }
        })
        let layered = spec.layer(layer).map { spec.attributes.merged(with: $0.attributes) } ?? spec.attributes
        return JSONBridge.lua(layered.merged(with: run))
    }
}
