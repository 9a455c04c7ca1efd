import Cloud
import LuaKit

/// How provider objects look in Lua: plain tables the prelude gives methods to.
extension Instance {
    public var lua: LuaValue {
        var t = LuaTable()
        t["id"] = .string(id)
        t["name"] = .string(name)
        t["cluster"] = .string(cluster)
        t["layer"] = .string(layer)
        t["state"] = .string(state.rawValue)
        t["private_ip"] = .string(privateIP)
        t["public_ip"] = publicIP.map(LuaValue.string) ?? .nil
        return .table(t)
    }
}

extension Volume {
    var lua: LuaValue {
        var t = LuaTable()
        t["id"] = .string(id)
        t["name"] = .string(name)
        t["cluster"] = .string(cluster)
        t["size_gb"] = .int(Int64(sizeGB))
        t["instance_id"] = instanceID.map(LuaValue.string) ?? .nil
        t["mount"] = mount.map(LuaValue.string) ?? .nil
        t["snapshot_id"] = snapshotID.map(LuaValue.string) ?? .nil
        return .table(t)
    }
}

extension Snapshot {
    var lua: LuaValue {
        .table(LuaTable(fields: [
            "id": .string(id), "cluster": .string(cluster), "volume_id": .string(volumeID),
            "size_gb": .int(Int64(sizeGB)), "sha256": .string(sha256), "bytes": .int(bytes),
            "created": .number(createdAt.timeIntervalSince1970),
        ]))
    }
}

extension Address {
    var lua: LuaValue {
        var t = LuaTable()
        t["ip"] = .string(ip)
        t["cluster"] = .string(cluster)
        t["instance_id"] = instanceID.map(LuaValue.string) ?? .nil
        return .table(t)
    }
}

extension CommandResult {
    var lua: LuaValue {
        .table(LuaTable(fields: ["code": .int(Int64(code)), "stdout": .string(stdout), "stderr": .string(stderr)]))
    }
}
