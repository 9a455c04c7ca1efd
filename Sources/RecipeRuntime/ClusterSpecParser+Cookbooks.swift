import Engine
import LuaKit

/// The settings of the Stdlib cookbooks a declaration names, `autoscale` on a layer and `backups`
/// on the cluster: checked once here, with the path of a bad field in the message, and recorded as
/// declared (the cookbooks fill in what is left out).
extension ClusterSpecParser {
    static let autoscaleFields: Set<String> = ["metric", "stat", "up", "down", "min", "max", "cooldown", "schedule"]

    func parseAutoscale(_ value: LuaValue, _ layerContext: String) throws -> AutoscaleSpec? {
        let context = "\(layerContext): autoscale"
        switch value {
        case .nil: return nil
        case .table(let t):
            try Self.refuseUnknown(t, allowed: Self.autoscaleFields, in: context)
            guard case .string(let metric) = t["metric"], !metric.isEmpty else {
                throw SpecError("\(context): metric must be a string such as \"cpu\"", at: ["metric"])
            }
            var spec = AutoscaleSpec(metric: metric)
            if let stat = try SpecError.at("stat", body: { try Self.optionalString(t["stat"], "\(context): stat") }) {
                guard AlarmHook.Stat(rawValue: stat) != nil else {
                    throw SpecError("\(context): stat '\(stat)' is not one of \(AlarmHook.Stat.allCases.map(\.rawValue).joined(separator: ", "))",
                                    at: ["stat"])
                }
                spec.stat = stat
            }
            if let up = try SpecError.at("up", body: { try Self.step(t["up"], "up", threshold: "above", by: "add", context) }) {
                spec.up = AutoscaleSpec.Up(above: up.threshold, sustain: up.sustain, add: up.by)
            }
            if let down = try SpecError.at("down", body: { try Self.step(t["down"], "down", threshold: "below", by: "remove", context) }) {
                spec.down = AutoscaleSpec.Down(below: down.threshold, sustain: down.sustain, remove: down.by)
            }
            spec.min = t["min"].isNil ? nil : try SpecError.at("min") { try Self.integer(t["min"], "\(context): min", default: nil, range: 0...10_000) }
            spec.max = t["max"].isNil ? nil : try SpecError.at("max") { try Self.integer(t["max"], "\(context): max", default: nil, range: 0...10_000) }
            if let min = spec.min, let max = spec.max, min > max {
                throw SpecError("\(context): min (\(min)) is above max (\(max))", at: ["min"])
            }
            spec.cooldown = try SpecError.at("cooldown") { try Self.duration(t["cooldown"], "\(context): cooldown") }
            spec.schedule = try SpecError.at("schedule") { try Self.windows(t["schedule"], "\(context): schedule") }
            guard spec.up != nil || spec.down != nil || !spec.schedule.isEmpty else {
                throw PrimitiveError("\(context) needs up, down or schedule")
            }
            return spec
        default:
            throw PrimitiveError("\(context) must be a table such as { metric = \"cpu\", up = { above = 70 } }, got \(value.typeName)")
        }
    }

    /// `backups = { LAYER = { every = "1h", keep = 24 } }`, each naming a declared layer.
    func parseBackups(_ value: LuaValue, layers: Set<String>, _ clusterContext: String) throws -> [String: BackupSpec] {
        var backups: [String: BackupSpec] = [:]
        for (layer, entry) in try Self.namedTables(value, "\(clusterContext): backups", kind: .layer) { try SpecError.at(layer) {
            let context = "\(clusterContext): backups.\(layer)"
            guard layers.contains(layer) else {
                throw PrimitiveError("\(clusterContext): backups names layer '\(layer)', which it does not declare")
            }
            guard case .table(let t) = entry else {
                throw PrimitiveError("\(context) must be a table such as { every = \"1h\", keep = 24 }, got \(entry.typeName)")
            }
            try Self.refuseUnknown(t, allowed: ["every", "keep"], in: context)
            let keep = t["keep"].isNil ? nil : try SpecError.at("keep") {
                try Self.integer(t["keep"], "\(context): keep", default: nil, range: 1...10_000)
            }
            backups[layer] = BackupSpec(every: try SpecError.at("every") { try Self.duration(t["every"], "\(context): every") }, keep: keep)
        } }
        return backups
    }

    /// `up = { above = N, sustain = D, add = N }` or its `down` mirror.
    private static func step(_ value: LuaValue, _ name: String, threshold: String, by: String, _ context: String) throws
        -> (threshold: Double, sustain: Double?, by: Int?)? {
        switch value {
        case .nil: return nil
        case .table(let t):
            try refuseUnknown(t, allowed: [threshold, "sustain", by], in: "\(context): \(name)")
            guard let limit = number(t[threshold]), limit.isFinite else {
                throw SpecError("\(context): \(name).\(threshold) must be a number, got \(t[threshold].typeName)", at: [threshold])
            }
            let step = t[by].isNil ? nil : try SpecError.at(by) {
                try integer(t[by], "\(context): \(name).\(by)", default: nil, range: 1...10_000)
            }
            return (limit, try SpecError.at("sustain") { try duration(t["sustain"], "\(context): \(name).sustain") }, step)
        default:
            throw PrimitiveError("\(context): \(name) must be a table such as { \(threshold) = 70, sustain = \"1m\", \(by) = 1 }")
        }
    }

    /// `schedule = { { days = "mon-fri", from = "08:00", to = "20:00", count = 6 }, ... }`.
    private static func windows(_ value: LuaValue, _ context: String) throws -> [AutoscaleSpec.Window] {
        let usage = "a list of { days = \"mon-fri\", from = \"08:00\", to = \"20:00\", count = N }"
        switch value {
        case .nil: return []
        case .table(let list) where list.fields.isEmpty:
            return try list.array.enumerated().map { index, entry in try SpecError.at(String(index + 1)) {
                let where_ = "\(context)[\(index + 1)]"
                guard case .table(let t) = entry else { throw PrimitiveError("\(context) must be \(usage)") }
                try refuseUnknown(t, allowed: ["days", "from", "to", "count"], in: where_)
                let days = try SpecError.at("days", body: { try optionalString(t["days"], "\(where_).days") })
                if let days, !Weekdays.isValid(days) {
                    throw SpecError("\(where_).days: '\(days)' is not days such as \"mon-fri\" or \"sat,sun\"", at: ["days"])
                }
                let from = try SpecError.at("from") { try minutes(t["from"], "\(where_).from") }
                let to = try SpecError.at("to") { try minutes(t["to"], "\(where_).to") }
                guard from.minutes < to.minutes else {
                    throw SpecError("\(where_): from \(from.text) is not before to \(to.text) (a window does not cross midnight)", at: ["from"])
                }
                let count = try SpecError.at("count") { try integer(t["count"], "\(where_).count", default: nil, range: 0...10_000) }
                return AutoscaleSpec.Window(days: days, from: from.text, to: to.text, count: count)
            } }
        default: throw PrimitiveError("\(context) must be \(usage)")
        }
    }

    /// "HH:MM" (or "H:MM"), up to "24:00".
    private static func minutes(_ value: LuaValue, _ what: String) throws -> (text: String, minutes: Int) {
        let parts = value.stringValue?.split(separator: ":", omittingEmptySubsequences: false) ?? []
        if parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
           let h = Int(parts[0]), let m = Int(parts[1]), (0...59).contains(m), h * 60 + m <= 24 * 60, h >= 0 {
            return (value.stringValue!, h * 60 + m)
        }
        throw PrimitiveError("\(what) must be a time HH:MM such as \"08:00\", got \(value.stringValue.map { "\"\($0)\"" } ?? value.typeName)")
    }

    /// A duration given as "30s" or seconds, nil when absent.
    static func duration(_ value: LuaValue, _ what: String) throws -> Double? {
        value.isNil ? nil : try HookOptions.seconds(value, what)
    }
}

/// Day lists of autoscale windows: "mon-fri", "sat,sun", "sun-sat".
enum Weekdays {
    static let names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        return parts.allSatisfy { part in
            part.split(separator: "-", omittingEmptySubsequences: false).count <= 2
                && part.split(separator: "-", omittingEmptySubsequences: false).allSatisfy { names.contains(String($0)) }
        }
    }
}
