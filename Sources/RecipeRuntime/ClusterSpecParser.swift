import Cloud
import Engine
import LuaKit

/// A cluster declaration as read from Lua: the spec, and the hook functions it names.
struct Declaration {
    var spec: ClusterSpec
    /// Hook functions by layer and kind.
    var hooks: [String: [HookKind: LuaFunction]]
}

/// Reads `cluster "name" { ... }` into a Declaration, refusing bad input with a message that
/// names the field (the trampoline adds the recipe's file:line). Nothing changes before it passes.
struct ClusterSpecParser {
    static let clusterFields: Set<String> = ["name", "provider", "layers", "firewall", "users", "apps", "attributes", "backups"]

    /// The provider kinds the engine's registry knows, and the one a cluster gets when it names none.
    var kinds: [String]
    var defaultKind: String

    func parse(name: String, _ table: LuaTable) throws -> Declaration {
        guard Self.isName(name) else {
            throw PrimitiveError("cluster name '\(name)' must be lower-case letters, digits and '-'")
        }
        try Self.refuseUnknown(table, allowed: Self.clusterFields, in: "cluster \(name)")
        var spec = ClusterSpec(name: name, provider: try parseProvider(table["provider"], cluster: name), layers: [])
        if case .table(let providerTable) = table["provider"] {
            try Self.refuseUnknown(providerTable, allowed: ["kind", "region", "endpoint", "api_version", "profile"],
                                   in: "cluster \(name): provider")
            for key in ["region", "endpoint", "api_version", "profile"] {
                if let value = try Self.optionalString(providerTable[key], "cluster \(name): provider.\(key)") {
                    spec.providerOptions[key] = value
                }
            }
        }
        guard kinds.contains(spec.provider) else {
            throw PrimitiveError("cluster \(name): provider '\(spec.provider)' is not known (\(kinds.joined(separator: ", ")))")
        }
        var hooks: [String: [HookKind: LuaFunction]] = [:]
        for (layerName, value) in try Self.namedTables(table["layers"], "cluster \(name): layers") {
            let (layer, layerHooks) = try parseLayer(layerName, value)
            spec.layers.append(layer)
            hooks[layerName] = layerHooks
        }
        let layerNames = Set(spec.layers.map(\.name))
        for (layerName, rules) in try Self.namedTables(table["firewall"], "cluster \(name): firewall") {
            spec.firewall += try parseRules(layerName, rules, layers: layerNames)
        }
        for (userName, value) in try Self.namedTables(table["users"], "cluster \(name): users") {
            spec.users.append(try parseUser(userName, value))
        }
        for (appName, value) in try Self.namedTables(table["apps"], "cluster \(name): apps") {
            let json = try JSONBridge.json(value, "app \(appName)")
            do { spec.apps[appName] = try AppSpec(name: appName, json: json) } catch { throw PrimitiveError("\(error)") }
        }
        for layer in spec.layers {
            if let unknown = layer.apps.first(where: { spec.apps[$0] == nil }) {
                throw PrimitiveError("layer \(layer.name): app '\(unknown)' is not declared in the cluster's apps")
            }
        }
        spec.attributes = try attributes(table["attributes"], "cluster \(name)")
        spec.backups = try parseBackups(table["backups"], layers: layerNames, "cluster \(name)")
        return Declaration(spec: spec, hooks: hooks)
    }

    private func parseProvider(_ value: LuaValue, cluster: String) throws -> String {
        switch value {
        case .nil: return defaultKind
        case .string(let kind): return kind
        case .table(let t):
            guard case .string(let kind) = t["kind"] else {
                throw PrimitiveError("cluster \(cluster): provider table needs kind = one of \(kinds.joined(separator: ", "))")
            }
            return kind
        default:
            throw PrimitiveError("cluster \(cluster): provider must be a string or a table, got \(value.typeName)")
        }
    }

    private func parseLayer(_ name: String, _ value: LuaValue) throws -> (LayerSpec, [HookKind: LuaFunction]) {
        let context = "layer \(name)"
        guard Self.isName(name) else { throw PrimitiveError("\(context): a layer name is lower-case letters, digits and '-'") }
        guard case .table(let t) = value else { throw PrimitiveError("\(context): expected a table, got \(value.typeName)") }
        try Self.refuseUnknown(t, allowed: LayerField.names, in: context)
        var layer = LayerSpec(name: name, count: 1)
        for field in LayerField.all { try field.read(self, t, &layer, context) }
        var hooks: [HookKind: LuaFunction] = [:]
        for (kindName, fn) in try Self.namedValues(t["on"], "\(context): on") {
            guard let kind = HookKind(rawValue: kindName) else {
                throw PrimitiveError("\(context): unknown hook '\(kindName)' (hooks: \(HookKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard case .function(let f) = fn else { throw PrimitiveError("\(context): on.\(kindName) must be a function") }
            hooks[kind] = f
        }
        layer.hooks = hooks.keys.map(\.rawValue).sorted()
        return (layer, hooks)
    }

    private func parseRules(_ layer: String, _ value: LuaValue, layers: Set<String>) throws -> [FirewallRule] {
        let context = "firewall \(layer)"
        guard layers.contains(layer) else { throw PrimitiveError("\(context): no layer named '\(layer)' in this cluster") }
        guard case .table(let list) = value, list.fields.isEmpty else {
            throw PrimitiveError("\(context): expected a list of rules such as { port = 80, from = \"0.0.0.0/0\" }")
        }
        return try list.array.enumerated().map { index, rule in
            let where_ = "\(context): rule \(index + 1)"
            guard case .table(let r) = rule else { throw PrimitiveError("\(where_): expected a table") }
            try Self.refuseUnknown(r, allowed: ["port", "protocol", "from"], in: where_)
            let port = try Self.integer(r["port"], "\(where_): port", default: nil, range: 1...65_535)
            let proto = try Self.optionalString(r["protocol"], "\(where_): protocol") ?? "tcp"
            guard ["tcp", "udp"].contains(proto) else { throw PrimitiveError("\(where_): protocol must be tcp or udp, got \(proto)") }
            guard case .string(let source) = r["from"] else {
                throw PrimitiveError("\(where_): from must be a CIDR block such as \"0.0.0.0/0\" or a layer name")
            }
            guard Self.isCIDR(source) || layers.contains(source) else {
                throw PrimitiveError("\(where_): from '\(source)' is neither a CIDR block nor a layer of this cluster")
            }
            return FirewallRule(layer: layer, port: port, proto: proto, source: source)
        }
    }

    private func parseUser(_ name: String, _ value: LuaValue) throws -> UserSpec {
        let context = "user \(name)"
        guard case .table(let t) = value else { throw PrimitiveError("\(context): expected a table") }
        try Self.refuseUnknown(t, allowed: ["role", "ssh_key", "sudo"], in: context)
        let role = try Self.optionalString(t["role"], "\(context): role") ?? "show"
        guard UserSpec.roles.contains(role) else {
            throw PrimitiveError("\(context): role must be one of \(UserSpec.roles.joined(separator: ", ")), got \(role)")
        }
        let sudo: Bool
        switch t["sudo"] {
        case .nil: sudo = false
        case .bool(let b): sudo = b
        case let other: throw PrimitiveError("\(context): sudo must be true or false, got \(other.typeName)")
        }
        return UserSpec(name: name, role: role, sshKey: try Self.optionalString(t["ssh_key"], "\(context): ssh_key"), sudo: sudo)
    }

    func attributes(_ value: LuaValue, _ context: String) throws -> JSONValue {
        switch value {
        case .nil: return .empty
        case .table: return try JSONBridge.json(value, "\(context): attributes")
        default: throw PrimitiveError("\(context): attributes must be a table")
        }
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 63 && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    static func isCIDR(_ s: String) -> Bool {
        let parts = s.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits) else { return false }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { Int($0).map { (0...255).contains($0) } ?? false }
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

    static func optionalString(_ value: LuaValue, _ what: String) throws -> String? {
        switch value {
        case .nil: return nil
        case .string(let s): return s
        default: throw PrimitiveError("\(what) must be a string, got \(value.typeName)")
        }
    }

    /// NAME = { ... } entries, in name order.
    static func namedTables(_ value: LuaValue, _ what: String) throws -> [(String, LuaValue)] {
        try namedValues(value, what)
    }

    static func namedValues(_ value: LuaValue, _ what: String) throws -> [(String, LuaValue)] {
        switch value {
        case .nil: return []
        case .table(let t) where t.array.isEmpty: return t.fields.sorted { $0.key < $1.key }
        default: throw PrimitiveError("\(what) must be a table of NAME = ...")
        }
    }

    /// A mount point is an absolute path inside the instance root.
    static func checkMount(_ mount: String, _ context: String) throws {
        guard MountPoint.parts(mount) != nil else {
            throw PrimitiveError("\(context): mount '\(mount)' must be an absolute path inside the instance root (no '..')")
        }
    }
}
