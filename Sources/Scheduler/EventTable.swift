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
///
/// One is made per batch of runs starting together: a cluster's record and inventory are read
/// once for the batch, not once per run.
struct EventTable {
    let engine: Engine
    private var records: [String: ClusterRecord?] = [:]
    private var inventories: [String: [Instance]] = [:]

    init(engine: Engine) {
        self.engine = engine
    }

    var store: Store { engine.store }

    /// The table for `run`; `known` is its event when the dispatcher handed it over (else it is read).
    mutating func table(for run: HookRun, event known: Event? = nil) async throws -> LuaValue {
        var e = LuaHookEvent(kind: "timer")
        e.cluster = run.cluster
        e.attempt = run.attempt
        e.due = run.dueAt
        if let id = run.eventID, let event = try known ?? store.event(id) {
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
        if let cluster = e.cluster, let layer = e.layer, let record = try record(cluster),
           let spec = try? record.declaration() {
            e.attributes = HookAttributes.of(spec, layer: layer, arguments: record.arguments)
        }
        return e.lua
    }

    private mutating func record(_ cluster: String) throws -> ClusterRecord? {
        if let known = records[cluster] { return known }
        let record = try store.cluster(cluster)
        records[cluster] = .some(record)  // a cluster not declared is remembered too
        return record
    }

    /// The instance an event's subject names (as its provider lists it now), and its layer. An
    /// alarm's subject is its layer; an instance gone from the inventory is named by its slot, LAYER-N.
    private mutating func about(cluster: String, subject: String, kind: String) async -> (Instance?, String?) {
        if kind == "alarm.fired" { return (nil, subject) }
        guard Self.mayNameInstance(subject) else { return (nil, nil) }
        if inventories[cluster] == nil { inventories[cluster] = try? await engine.listInstances(cluster: cluster, layer: nil) }
        if let instance = inventories[cluster]?.first(where: { $0.name == subject || $0.id == subject }) {
            return (instance, instance.layer)
        }
        return (nil, LayerSpec.slot(of: subject)?.layer)
    }

    /// A slot name (LAYER-N) or an instance id (i-…): only then is the inventory read.
    static func mayNameInstance(_ subject: String) -> Bool {
        subject.hasPrefix("i-") || LayerSpec.slot(of: subject) != nil
    }
}
