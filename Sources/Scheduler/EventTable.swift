import Cloud
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Store

/// What a scheduler hook is called with: the one hook event shape (LuaHookEvent), filled from the
/// run (attempt, due), the event it runs on (kind, subject, detail, the instance it names and its
/// layer), and the attributes the cluster's recorded declaration gives that layer. A timer's
/// kind is "timer".
struct EventTable {
    let engine: Engine

    var store: Store { engine.store }

    func table(for run: HookRun) async throws -> LuaValue {
        var e = LuaHookEvent(kind: "timer")
        e.cluster = run.cluster
        e.attempt = run.attempt
        e.due = run.dueAt
        if let id = run.eventID, let event = try store.event(id) {
            e.kind = event.kind
            e.id = id
            e.time = event.time
            e.actor = event.actor
            e.result = event.result
            e.cluster = event.cluster ?? run.cluster
            e.subject = event.subject
            e.detail = event.detail
            if let cluster = event.cluster, let subject = event.subject {
                (e.instance, e.layer) = await about(cluster: cluster, subject: subject, kind: event.kind)
            }
        }
        if let cluster = e.cluster, let layer = e.layer, let record = try store.cluster(cluster),
           let spec = try? record.declaration() {
            e.attributes = HookAttributes.of(spec, layer: layer, arguments: record.arguments)
        }
        return e.lua
    }

    /// The instance an event's subject names (as its provider lists it now), and its layer. An
    /// alarm's subject is its layer; an instance gone from the inventory is named by its slot, LAYER-N.
    private func about(cluster: String, subject: String, kind: String) async -> (Instance?, String?) {
        if kind == "alarm.fired" { return (nil, subject) }
        guard Self.mayNameInstance(subject) else { return (nil, nil) }
        if let instance = try? await engine.listInstances(cluster: cluster, layer: nil)
            .first(where: { $0.name == subject || $0.id == subject }) {
            return (instance, instance.layer)
        }
        return (nil, LayerSpec.slot(of: subject)?.layer)
    }

    /// A slot name (LAYER-N) or an instance id (i-…): only then is the inventory read.
    static func mayNameInstance(_ subject: String) -> Bool {
        subject.hasPrefix("i-") || LayerSpec.slot(of: subject) != nil
    }
}
