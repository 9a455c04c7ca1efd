import Cloud
import Engine
import Foundation
import LuaKit
import Store

/// `cluster.get(name):spec()`: the declaration as recorded, with each layer's live instance
/// count, in the same shape `cluster "name" { ... }` takes, so `cluster.declare` can reuse it.
/// Hook functions are code in the declaring recipe and are not part of it.
struct LiveSpec {
    let store: Store

    /// `instances` are the cluster's instances as its provider lists them.
    func table(cluster name: String, instances: [Instance]) throws -> LuaValue {
        guard let record = try store.cluster(name) else { throw PrimitiveError("no cluster named \(name)") }
        let spec = try record.declaration()
        let live = Dictionary(grouping: instances, by: \.layer).mapValues(\.count)
        var layers = LuaTable()
        for layer in spec.layers {
            var t = LuaTable()
            for field in LayerField.all { if let write = field.write { t[field.name] = write(layer) } }
            t["count"] = .int(Int64(live[layer.name] ?? 0))
            layers[layer.name] = .table(t)
        }
        var firewall = LuaTable()
        for (layer, rules) in Dictionary(grouping: try store.firewall(cluster: name), by: \.layer) {
            firewall[layer] = .table(LuaTable(array: rules.map {
                .table(LuaTable(fields: ["port": .int(Int64($0.port)), "protocol": .string($0.protocol), "from": .string($0.source)]))
            }))
        }
        var users = LuaTable()
        for user in try store.users(cluster: name) {
            users[user.name] = .table(LuaTable(fields: [
                "role": .string(user.role), "ssh_key": user.sshKey.map(LuaValue.string) ?? .nil, "sudo": .bool(user.sudo),
            ]))
        }
        var result = LuaTable()
        result["name"] = .string(name)
        var provider = LuaTable(fields: spec.providerOptions.mapValues(LuaValue.string))
        provider["kind"] = .string(spec.provider)
        result["provider"] = .table(provider)
        result["layers"] = .table(layers)
        result["firewall"] = .table(firewall)
        result["users"] = .table(users)
        result["apps"] = .table(LuaTable(fields: spec.apps.mapValues { JSONBridge.lua($0.json) }))
        result["attributes"] = JSONBridge.lua(spec.attributes)
        result["backups"] = spec.backups.isEmpty ? .nil : Self.lua(spec.backups)
        return .table(result)
    }
}
