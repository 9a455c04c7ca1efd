import Engine
import LuaKit

/// `autoscale` and `backups` back in the shape `cluster "name" { ... }` takes: durations as
/// seconds, fields left out when they were.
extension LiveSpec {
    static func lua(_ autoscale: AutoscaleSpec) -> LuaValue {
        var t = LuaTable()
        t["metric"] = .string(autoscale.metric)
        t["stat"] = autoscale.stat.map(LuaValue.string) ?? .nil
        if let up = autoscale.up {
            t["up"] = .table(LuaTable(fields: ["above": .number(up.above), "sustain": seconds(up.sustain), "add": count(up.add)]))
        }
        if let down = autoscale.down {
            t["down"] = .table(LuaTable(fields: ["below": .number(down.below), "sustain": seconds(down.sustain), "remove": count(down.remove)]))
        }
        t["min"] = count(autoscale.min)
        t["max"] = count(autoscale.max)
        t["cooldown"] = seconds(autoscale.cooldown)
        if !autoscale.schedule.isEmpty {
            t["schedule"] = .table(LuaTable(array: autoscale.schedule.map { window in
                .table(LuaTable(fields: [
                    "days": window.days.map(LuaValue.string) ?? .nil, "from": .string(window.from), "to": .string(window.to),
                    "count": .int(Int64(window.count)),
                ]))
            }))
        }
        return .table(t)
    }

    static func lua(_ backups: [String: BackupSpec]) -> LuaValue {
        .table(LuaTable(fields: backups.mapValues { backup in
            .table(LuaTable(fields: ["every": seconds(backup.every), "keep": count(backup.keep)]))
        }))
    }

    /// Whole seconds as an integer, so `every(3600)` names its timer as the declaration did.
    private static func seconds(_ value: Double?) -> LuaValue {
        guard let value else { return .nil }
        return value.rounded() == value && abs(value) < 1e15 ? .int(Int64(value)) : .number(value)
    }

    private static func count(_ value: Int?) -> LuaValue { value.map { .int(Int64($0)) } ?? .nil }
}
