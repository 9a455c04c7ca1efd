import Cloud
import Engine
import LuaKit

/// Reads `cluster "name" { ... }` into a ClusterSpec, refusing bad input with a message that
/// names the field (the trampoline adds the recipe's file:line).
struct ClusterSpecParser {
    static let clusterFields: Set<String> = ["provider", "layers"]
    static let layerFields: Set<String> = ["count", "volumes", "elastic_ip", "services"]

    func parse(name: String, _ table: LuaTable) throws -> ClusterSpec {
        guard Self.isName(name) else {
            throw PrimitiveError("cluster name '\(name)' must be lower-case letters, digits and '-'")
        }
        try Self.refuseUnknown(table, allowed: Self.clusterFields, in: "cluster \(name)")
        let provider = try parseProvider(table["provider"], cluster: name)
        var layers: [LayerSpec] = []
        switch table["layers"] {
        case .nil:
            break
        case .table(let layerTable):
            guard layerTable.array.isEmpty else {
                throw PrimitiveError("cluster \(name): layers is a table of NAME = { ... }, not a list")
            }
            for (layerName, value) in layerTable.fields.sorted(by: { $0.key < $1.key }) {
                layers.append(try parseLayer(layerName, value))
            }
        case let other:
            throw PrimitiveError("cluster \(name): layers must be a table, got \(other.typeName)")
        }
        return ClusterSpec(name: name, provider: provider, layers: layers)
    }

    private func parseProvider(_ value: LuaValue, cluster: String) throws -> String {
        switch value {
        case .nil: return "local"
        case .string(let kind): return kind
        case .table(let t):
            guard case .string(let kind) = t["kind"] else {
                throw PrimitiveError("cluster \(cluster): provider table needs kind = \"local\" or \"ec2\"")
            }
            return kind
        default:
            throw PrimitiveError("cluster \(cluster): provider must be a string or a table, got \(value.typeName)")
        }
    }

    private func parseLayer(_ name: String, _ value: LuaValue) throws -> LayerSpec {
        let context = "layer \(name)"
        guard Self.isName(name) else { throw PrimitiveError("\(context): a layer name is lower-case letters, digits and '-'") }
        guard case .table(let t) = value else { throw PrimitiveError("\(context): expected a table, got \(value.typeName)") }
        try Self.refuseUnknown(t, allowed: Self.layerFields, in: context)
        let count = try Self.integer(t["count"], "\(context): count", default: 1, range: 0...10_000)
        var layer = LayerSpec(name: name, count: count)
        switch t["elastic_ip"] {
        case .nil: break
        case .bool(let b): layer.elasticIP = b
        case let other: throw PrimitiveError("\(context): elastic_ip must be true or false, got \(other.typeName)")
        }
        for (volumeName, v) in try Self.namedTables(t["volumes"], "\(context): volumes") {
            let where_ = "\(context): volume \(volumeName)"
            guard case .table(let vt) = v else { throw PrimitiveError("\(where_): expected a table") }
            try Self.refuseUnknown(vt, allowed: ["size_gb", "mount"], in: where_)
            let size = try Self.integer(vt["size_gb"], "\(where_): size_gb", default: nil, range: 1...16_384)
            guard case .string(let mount) = vt["mount"] else {
                throw PrimitiveError("\(where_): mount must be a path such as \"/srv/data\"")
            }
            try Self.checkMount(mount, where_)
            layer.volumes.append(VolumeSpec(name: volumeName, sizeGB: size, mount: mount))
        }
        for (serviceName, s) in try Self.namedTables(t["services"], "\(context): services") {
            let where_ = "\(context): service \(serviceName)"
            guard case .table(let st) = s else { throw PrimitiveError("\(where_): expected a table") }
            try Self.refuseUnknown(st, allowed: ["command", "port"], in: where_)
            guard case .string(let command) = st["command"], !command.isEmpty else {
                throw PrimitiveError("\(where_): command must be a non-empty string")
            }
            let port = st["port"].isNil ? nil : try Self.integer(st["port"], "\(where_): port", default: nil, range: 1...65_535)
            layer.services.append(ServiceSpec(name: serviceName, command: command, port: port))
        }
        return layer
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 63 && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    static func refuseUnknown(_ t: LuaTable, allowed: Set<String>, in context: String) throws {
        if let unknown = t.fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw PrimitiveError("\(context): unknown field '\(unknown)' (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    static func integer(_ value: LuaValue, _ what: String, default fallback: Int?, range: ClosedRange<Int>) throws -> Int {
        if value.isNil, let fallback { return fallback }
        guard let n = value.intValue else {
            let shown = value.stringValue.map { "string \"\($0)\"" } ?? value.typeName
            throw PrimitiveError("\(what) must be a whole number, got \(shown)")
        }
        guard range.contains(Int(n)) else {
            throw PrimitiveError("\(what) must be between \(range.lowerBound) and \(range.upperBound), got \(n)")
        }
        return Int(n)
    }

    static func namedTables(_ value: LuaValue, _ what: String) throws -> [(String, LuaValue)] {
        switch value {
        case .nil: return []
        case .table(let t) where t.array.isEmpty: return t.fields.sorted { $0.key < $1.key }
        default: throw PrimitiveError("\(what) must be a table of NAME = { ... }")
        }
    }

    /// A mount point is an absolute path inside the instance root.
    static func checkMount(_ mount: String, _ context: String) throws {
        let parts = mount.split(separator: "/")
        guard mount.hasPrefix("/"), !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." }) else {
            throw PrimitiveError("\(context): mount '\(mount)' must be an absolute path inside the instance root (no '..')")
        }
    }
}
