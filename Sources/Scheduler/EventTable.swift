import Cloud
import Engine
import Foundation
import LuaKit
import RecipeRuntime
import Store

/// What a scheduler hook receives: the event (kind, cluster, subject, detail, ...) with the
/// instance it names, or for a timer its key and the time it was due.
struct EventTable {
    let engine: Engine

    var store: Store { engine.store }

    func table(for run: HookRun) async throws -> LuaValue {
        var t = LuaTable()
        t["trigger"] = .string(run.trigger)
        t["hook"] = .string(run.hook)
        t["attempt"] = .int(Int64(run.attempt))
        t["due"] = .number(run.dueAt.timeIntervalSince1970)
        if let cluster = run.cluster { t["cluster"] = .string(cluster) }
        guard let id = run.eventID, let event = try store.event(id) else { return .table(t) }
        t["id"] = .int(id)
        t["kind"] = .string(event.kind)
        t["time"] = .number(event.time.timeIntervalSince1970)
        t["actor"] = .string(event.actor)
        t["result"] = .string(event.result)
        if let cluster = event.cluster { t["cluster"] = .string(cluster) }
        if let subject = event.subject { t["subject"] = .string(subject) }
        if let detail = event.detail { t["detail"] = .string(detail) }
        // an event about an instance (by name or id) carries it, and its layer
        if let cluster = event.cluster, let subject = event.subject, Self.mayNameInstance(subject) {
            if let instance = try? await engine.listInstances(cluster: cluster, layer: nil)
                .first(where: { $0.name == subject || $0.id == subject }) {
                t["instance"] = instance.lua
                t["layer"] = .string(instance.layer)
            } else if let dash = subject.lastIndex(of: "-"), !subject[subject.index(after: dash)...].isEmpty,
                      subject[subject.index(after: dash)...].allSatisfy(\.isNumber) {
                // a cloud instance (not in the local inventory): slots are named LAYER-N
                t["layer"] = .string(String(subject[..<dash]))
            }
        }
        return .table(t)
    }

    /// A slot name (LAYER-N) or an instance id (i-…): only then is the inventory read.
    static func mayNameInstance(_ subject: String) -> Bool {
        if subject.hasPrefix("i-") { return true }
        guard let dash = subject.lastIndex(of: "-") else { return false }
        let number = subject[subject.index(after: dash)...]
        return !number.isEmpty && number.allSatisfy(\.isNumber)
    }
}
