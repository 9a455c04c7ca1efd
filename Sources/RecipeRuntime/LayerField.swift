import Cloud
import Engine
import LuaKit

/// One field a layer takes in `cluster "name" { layers = { NAME = { ... } } }`: its name in Lua,
/// how it is read into a `LayerSpec` (refusing bad input with a message that names the field),
/// and how `c:spec()` gives it back. The parser's known fields, its reading and LiveSpec's table
/// all come from `LayerField.all`, so a new layer field is its `LayerSpec` property, one entry
/// here, and its test.
struct LayerField: Sendable {
    typealias Read = @Sendable (ClusterSpecParser, LuaTable, inout LayerSpec, _ context: String) throws -> Void
    typealias Write = @Sendable (LayerSpec) -> LuaValue

    let name: String
    let read: Read
    /// nil for what `c:spec()` leaves out (an alias, the hook functions).
    let write: Write?

    /// In the order they are checked: the first bad field is the one reported.
    static let all: [LayerField] = [
        LayerField(name: "count", read: { _, t, layer, context in
            layer.count = try ClusterSpecParser.integer(t["count"], "\(context): count", default: 1, range: LayerSpec.counts)
        }, write: { .int(Int64($0.count)) }),
        LayerField(name: "instance_type", read: { _, t, layer, context in
            layer.instanceType = try ClusterSpecParser.optionalString(
                t["instance_type"].isNil ? t["size"] : t["instance_type"], "\(context): instance_type")
        }, write: { $0.instanceType.map(LuaValue.string) ?? .nil }),
        // `size` is instance_type's other name, read with it
        LayerField(name: "size", read: { _, _, _, _ in }, write: nil),
        LayerField(name: "image", read: { _, t, layer, context in
            layer.image = try ClusterSpecParser.optionalString(t["image"], "\(context): image")
        }, write: { $0.image.map(LuaValue.string) ?? .nil }),
        LayerField(name: "elastic_ip", read: { _, t, layer, context in
            switch t["elastic_ip"] {
            case .nil: break
            case .bool(let b): layer.elasticIP = b
            case let other: throw PrimitiveError("\(context): elastic_ip must be true or false, got \(other.typeName)")
            }
        }, write: { .bool($0.elasticIP) }),
        LayerField(name: "volumes", read: { _, t, layer, context in
            layer.volumes = try readVolumes(t["volumes"], context)
        }, write: { layer in
            .table(LuaTable(fields: Dictionary(uniqueKeysWithValues: layer.volumes.map {
                ($0.name, LuaValue.table(LuaTable(fields: ["size_gb": .int(Int64($0.sizeGB)), "mount": .string($0.mount)])))
            })))
        }),
        LayerField(name: "services", read: { _, t, layer, context in
            layer.services = try readServices(t["services"], context)
        }, write: { layer in
            .table(LuaTable(fields: Dictionary(uniqueKeysWithValues: layer.services.map {
                ($0.name, LuaValue.table(LuaTable(fields: [
                    "command": .string($0.command), "port": $0.port.map { .int(Int64($0)) } ?? .nil, "health": $0.health.map(LuaValue.string) ?? .nil,
                    "env": $0.env.map { .table(LuaTable(fields: $0.mapValues(LuaValue.string))) } ?? .nil,
                ])))
            })))
        }),
        LayerField(name: "apps", read: { _, t, layer, context in
            switch t["apps"] {
            case .nil: break
            case .table(let apps) where apps.fields.isEmpty:
                layer.apps = try apps.array.enumerated().map { index, value in
                    guard case .string(let app) = value else {
                        throw SpecError("\(context): apps is a list of app names", at: [String(index + 1)])
                    }
                    return app
                }
            default: throw PrimitiveError("\(context): apps is a list of app names, e.g. { \"shop\" }")
            }
        }, write: { .table(LuaTable(array: $0.apps.map(LuaValue.string))) }),
        LayerField(name: "attributes", read: { parser, t, layer, context in
            layer.attributes = try parser.attributes(t["attributes"], context)
        }, write: { JSONBridge.lua($0.attributes) }),
        LayerField(name: "heal", read: { _, t, layer, context in
            layer.healAfter = try readHeal(t["heal"], context)
        }, write: { $0.healAfter.map { .table(LuaTable(fields: ["after": .number($0)])) } ?? .nil }),
        LayerField(name: "heartbeat", read: { _, t, layer, context in
            layer.heartbeat = try readHeartbeat(t["heartbeat"], context)
        }, write: { $0.heartbeat.map(LuaValue.number) ?? .nil }),
        LayerField(name: "autoscale", read: { parser, t, layer, context in
            layer.autoscale = try parser.parseAutoscale(t["autoscale"], context)
        }, write: { $0.autoscale.map(LiveSpec.lua) ?? .nil }),
        // hook functions are code in the declaring recipe: the parser reads them apart
        LayerField(name: "on", read: { _, _, _, _ in }, write: nil),
    ]

    static let names = Set(all.map(\.name))

    private static func readVolumes(_ value: LuaValue, _ context: String) throws -> [VolumeSpec] {
        try ClusterSpecParser.namedTables(value, "\(context): volumes", kind: .volume).map { volumeName, v in try SpecError.at(volumeName) {
            let where_ = "\(context): volume \(volumeName)"
            guard case .table(let vt) = v else { throw PrimitiveError("\(where_): expected a table") }
            try ClusterSpecParser.refuseUnknown(vt, allowed: ["size_gb", "mount", "snapshots"], in: where_)
            let size = try SpecError.at("size_gb") {
                try ClusterSpecParser.integer(vt["size_gb"], "\(where_): size_gb", default: nil, range: 1...16_384)
            }
            let mount = try SpecError.at("mount") {
                guard case .string(let mount) = vt["mount"] else {
                    throw PrimitiveError("\(where_): mount must be a path such as \"/srv/data\"")
                }
                try ClusterSpecParser.checkMount(mount, where_)
                return mount
            }
            var snapshots: [String: String] = [:]
            for (slot, snapshot) in try SpecError.at("snapshots", body: { try ClusterSpecParser.namedValues(vt["snapshots"], "\(where_): snapshots") }) {
                guard case .string(let id) = snapshot else {
                    throw SpecError("\(where_): snapshots maps instance names to snapshot ids", at: ["snapshots", slot])
                }
                snapshots[slot] = id
            }
            return VolumeSpec(name: volumeName, sizeGB: size, mount: mount, snapshots: snapshots)
        } }
    }

    private static func readServices(_ value: LuaValue, _ context: String) throws -> [ServiceSpec] {
        try ClusterSpecParser.namedTables(value, "\(context): services", kind: .service).map { serviceName, s in try SpecError.at(serviceName) {
            let where_ = "\(context): service \(serviceName)"
            guard case .table(let st) = s else { throw PrimitiveError("\(where_): expected a table") }
            try ClusterSpecParser.refuseUnknown(st, allowed: ["command", "port", "health", "env"], in: where_)
            guard case .string(let command) = st["command"], !command.isEmpty else {
                throw SpecError("\(where_): command must be a non-empty string", at: ["command"])
            }
            let port = st["port"].isNil ? nil : try SpecError.at("port") {
                try ClusterSpecParser.integer(st["port"], "\(where_): port", default: nil, range: 1...65_535)
            }
            var health: String?
            if !st["health"].isNil {
                guard case .string(let path) = st["health"], path.hasPrefix("/"), port != nil else {
                    throw SpecError("\(where_): health must be a path such as \"/health\", with a port", at: ["health"])
                }
                health = path
            }
            return ServiceSpec(name: serviceName, command: command, port: port, health: health,
                               env: try SpecError.at("env") { try readEnv(st["env"], "\(where_): env") })
        } }
    }

    /// `env = { NAME = "value" or secret("NAME") }`: a secret arrives as its reference.
    static func readEnv(_ value: LuaValue, _ context: String) throws -> [String: String]? {
        guard !value.isNil else { return nil }
        guard case .table(let t) = value, t.array.isEmpty else { throw PrimitiveError("\(context): expected { NAME = VALUE, ... }") }
        var env: [String: String] = [:]
        for (name, v) in t.fields {
            guard Shell.isVariableName(name) else { throw PrimitiveError("\(context): '\(name)' is not a variable name") }
            guard case .string(let s) = v else { throw PrimitiveError("\(context).\(name): expected a string or a secret") }
            env[name] = s
        }
        return env
    }

    /// `heal = true` (3 s) or `{ after = "3s" }`.
    /// `heartbeat = "2s"` (or seconds): how often a remote agent of the layer beats.
    private static func readHeartbeat(_ value: LuaValue, _ context: String) throws -> Double? {
        let seconds: Double
        switch value {
        case .nil: return nil
        case .string(let text):
            do { seconds = try Interval.seconds(text) } catch { throw PrimitiveError("\(context): heartbeat: \(error)") }
        default:
            guard let number = value.doubleValue else { throw PrimitiveError("\(context): heartbeat must be an interval such as \"2s\", got \(value.typeName)") }
            seconds = number
        }
        guard LayerSpec.heartbeats.contains(seconds) else {
            throw PrimitiveError("\(context): heartbeat must be from 1 s to 60 s, got \(seconds) s")
        }
        return seconds
    }

    private static func readHeal(_ value: LuaValue, _ context: String) throws -> Double? {
        switch value {
        case .nil, .bool(false): return nil
        case .bool(true): return 3
        case .table(let heal):
            try ClusterSpecParser.refuseUnknown(heal, allowed: ["after"], in: "\(context): heal")
            do {
                return try heal["after"].stringValue.map(Interval.seconds) ?? heal["after"].doubleValue ?? 3
            } catch {
                throw SpecError("\(context): heal.after: \(error)", at: ["after"])
            }
        case let other: throw PrimitiveError("\(context): heal must be true or { after = \"3s\" }, got \(other.typeName)")
        }
    }
}
