import Cloud
import Engine
import LuaKit

/// A cluster declaration as read from Lua: the spec, and the hook functions it names.
struct Declaration {
    var spec: ClusterSpec
    /// Hook functions by layer and kind.
    var hooks: [String: [HookKind: LuaFunction]]
}

/// Reads `cluster "name" { ... }` into a Declaration, refusing bad input with a `SpecError` that
/// names the field in its message and its path of keys (for the recipe line that wrote it).
/// Nothing changes before it passes.
struct ClusterSpecParser {
    static let clusterFields: Set<String> = ["name", "provider", "layers", "firewall", "users", "apps", "attributes", "backups"]

    /// The provider kinds the engine's registry knows, and the one a cluster gets when it names none.
    var kinds: [String]
    var defaultKind: String

    func parse(name: String, _ table: LuaTable) throws -> Declaration {
        if let problem = Names.problem(name, as: .cluster) { throw PrimitiveError(problem) }
        try Self.refuseUnknown(table, allowed: Self.clusterFields, in: "cluster \(name)")
        var spec = try SpecError.at("provider") {
            ClusterSpec(name: name, provider: try parseProvider(table["provider"], cluster: name), layers: [])
        }
        if case .table(let providerTable) = table["provider"] {
            try SpecError.at("provider") {
                try Self.refuseUnknown(providerTable, allowed: ["kind", "region", "endpoint", "api_version", "profile", "subnet", "hosts", "identity"],
                                       in: "cluster \(name): provider")
            }
            if let hosts = try SpecError.at("provider", "hosts", body: { try Self.hostList(providerTable["hosts"], cluster: name) }) {
                spec.providerOptions["hosts"] = hosts
            }
            for key in ["region", "endpoint", "api_version", "profile", "subnet", "identity"] {
                if let value = try SpecError.at("provider", key, body: {
                    try Self.optionalString(providerTable[key], "cluster \(name): provider.\(key)")
                }) {
                    spec.providerOptions[key] = value
                }
            }
            if let subnet = spec.providerOptions["subnet"], subnet.wholeMatch(of: /subnet-[0-9a-f]{8,17}/) == nil {
                throw SpecError("cluster \(name): provider.subnet '\(subnet)' is not a subnet id (expected subnet- and 8 to 17 hex digits, such as subnet-0a1b2c3d)",
                                at: ["provider", "subnet"])
            }
        }
        guard kinds.contains(spec.provider) else {
            throw SpecError("cluster \(name): provider '\(spec.provider)' is not known (\(kinds.joined(separator: ", ")))", at: ["provider"])
        }
        var hooks: [String: [HookKind: LuaFunction]] = [:]
        for (layerName, value) in try SpecError.at("layers", body: { try Self.namedTables(table["layers"], "cluster \(name): layers", kind: .layer) }) {
            let (layer, layerHooks) = try SpecError.at("layers", layerName) { try parseLayer(layerName, value) }
            spec.layers.append(layer)
            hooks[layerName] = layerHooks
        }
        let layerNames = Set(spec.layers.map(\.name))
        for (layerName, rules) in try SpecError.at("firewall", body: { try Self.namedTables(table["firewall"], "cluster \(name): firewall", kind: .layer) }) {
            spec.firewall += try SpecError.at("firewall", layerName) { try parseRules(layerName, rules, layers: layerNames) }
        }
        for (userName, value) in try SpecError.at("users", body: { try Self.namedTables(table["users"], "cluster \(name): users", kind: .user) }) {
            spec.users.append(try SpecError.at("users", userName) { try parseUser(userName, value) })
        }
        for (appName, value) in try SpecError.at("apps", body: { try Self.namedTables(table["apps"], "cluster \(name): apps", kind: .app) }) {
            spec.apps[appName] = try SpecError.at("apps", appName) {
                try AppSpec(name: appName, json: try JSONBridge.json(value, "app \(appName)"))
            }
        }
        for layer in spec.layers {
            if let index = layer.apps.firstIndex(where: { spec.apps[$0] == nil }) {
                throw SpecError("layer \(layer.name): app '\(layer.apps[index])' is not declared in the cluster's apps",
                                at: ["layers", layer.name, "apps", String(index + 1)])
            }
        }
        spec.attributes = try SpecError.at("attributes") { try attributes(table["attributes"], "cluster \(name)") }
        spec.backups = try SpecError.at("backups") { try parseBackups(table["backups"], layers: layerNames, "cluster \(name)") }
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
        guard case .table(let t) = value else { throw PrimitiveError("\(context): expected a table, got \(value.typeName)") }
        try Self.refuseUnknown(t, allowed: LayerField.names, in: context)
        var layer = LayerSpec(name: name, count: 1)
        for field in LayerField.all { try SpecError.at(field.name) { try field.read(self, t, &layer, context) } }
        var hooks: [HookKind: LuaFunction] = [:]
        for (kindName, fn) in try SpecError.at("on", body: { try Self.namedValues(t["on"], "\(context): on") }) {
            guard let kind = HookKind(rawValue: kindName) else {
                throw SpecError("\(context): unknown hook '\(kindName)' (hooks: \(HookKind.allCases.map(\.rawValue).joined(separator: ", ")))",
                                at: ["on", kindName])
            }
            guard case .function(let f) = fn else { throw SpecError("\(context): on.\(kindName) must be a function", at: ["on", kindName]) }
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
        return try list.array.enumerated().map { index, rule in try SpecError.at(String(index + 1)) {
            let where_ = "\(context): rule \(index + 1)"
            guard case .table(let r) = rule else { throw PrimitiveError("\(where_): expected a table") }
            try Self.refuseUnknown(r, allowed: ["port", "protocol", "from"], in: where_)
            let port = try SpecError.at("port") { try Self.integer(r["port"], "\(where_): port", default: nil, range: 1...65_535) }
            let proto = try SpecError.at("protocol") {
                let proto = try Self.optionalString(r["protocol"], "\(where_): protocol") ?? "tcp"
                guard ["tcp", "udp"].contains(proto) else { throw PrimitiveError("\(where_): protocol must be tcp or udp, got \(proto)") }
                return proto
            }
            let source = try SpecError.at("from") {
                guard case .string(let source) = r["from"] else {
                    throw PrimitiveError("\(where_): from must be a CIDR block such as \"0.0.0.0/0\" or a layer name")
                }
                guard Self.isCIDR(source) || layers.contains(source) else {
                    throw PrimitiveError("\(where_): from '\(source)' is neither a CIDR block nor a layer of this cluster")
                }
                return source
            }
            return FirewallRule(layer: layer, port: port, proto: proto, source: source)
        } }
    }

    private func parseUser(_ name: String, _ value: LuaValue) throws -> UserSpec {
        let context = "user \(name)"
        guard case .table(let t) = value else { throw PrimitiveError("\(context): expected a table") }
        try Self.refuseUnknown(t, allowed: ["role", "ssh_key", "sudo"], in: context)
        let role = try SpecError.at("role") {
            let role = try Self.optionalString(t["role"], "\(context): role") ?? "show"
            guard UserSpec.roles.contains(role) else {
                throw PrimitiveError("\(context): role must be one of \(UserSpec.roles.joined(separator: ", ")), got \(role)")
            }
            return role
        }
        let sudo: Bool
        switch t["sudo"] {
        case .nil: sudo = false
        case .bool(let b): sudo = b
        case let other: throw SpecError("\(context): sudo must be true or false, got \(other.typeName)", at: ["sudo"])
        }
        let key = try SpecError.at("ssh_key") { try Self.optionalString(t["ssh_key"], "\(context): ssh_key") }
        return UserSpec(name: name, role: role, sshKey: key, sudo: sudo)
    }

    func attributes(_ value: LuaValue, _ context: String) throws -> JSONValue {
        switch value {
        case .nil: return .empty
        case .table: return try JSONBridge.json(value, "\(context): attributes")
        default: throw PrimitiveError("\(context): attributes must be a table")
        }
    }

    static func isCIDR(_ s: String) -> Bool {
        let parts = s.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits) else { return false }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { Int($0).map { (0...255).contains($0) } ?? false }
    }

    static func refuseUnknown(_ t: LuaTable, allowed: Set<String>, in context: String) throws {
        if let unknown = t.fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw SpecError("\(context): unknown field '\(unknown)' (known: \(allowed.sorted().joined(separator: ", ")))", at: [unknown])
        }
    }

    /// A whole number, or a string that reads as one (`count = arg.web or 3`: arguments are strings).
    static func integer(_ value: LuaValue, _ what: String, default fallback: Int?, range: ClosedRange<Int>) throws -> Int {
        if value.isNil, let fallback { return fallback }
        guard let n = value.intValue ?? value.stringValue.flatMap({ Int64($0.trimmingCharacters(in: .whitespaces)) }) else {
            let shown = value.stringValue.map { "string \"\($0)\"" } ?? value.typeName
            throw PrimitiveError("\(what) must be a whole number, got \(shown)")
        }
        guard range.contains(Int(n)) else {
            throw PrimitiveError("\(what) must be between \(range.lowerBound) and \(range.upperBound), got \(n)")
        }
        return Int(n)
    }

    /// A number, or a string that reads as one.
    static func number(_ value: LuaValue) -> Double? {
        value.doubleValue ?? value.stringValue.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `hosts = { "ssh://root@10.0.0.5", ... }`: each URL checked, kept separated by spaces.
    static func hostList(_ value: LuaValue, cluster: String) throws -> String? {
        guard case .table(let list) = value else {
            if case .nil = value { return nil }
            throw PrimitiveError("cluster \(cluster): provider.hosts must be a list of ssh:// URLs, got \(value.typeName)")
        }
        guard list.fields.isEmpty else { throw PrimitiveError("cluster \(cluster): provider.hosts must be a list of ssh:// URLs, not NAME = ...") }
        return try list.array.enumerated().map { index, entry in
            try SpecError.at(String(index + 1)) {
                guard let text = entry.stringValue else { throw PrimitiveError("cluster \(cluster): provider.hosts[\(index + 1)] must be a string") }
                do {
                    return try HostAddress(parsing: text).description
                } catch {
                    throw PrimitiveError("cluster \(cluster): provider.hosts[\(index + 1)]: \(error)")
                }
            }
        }.joined(separator: " ")
    }

    static func optionalString(_ value: LuaValue, _ what: String) throws -> String? {
        switch value {
        case .nil: return nil
        case .string(let s): return s
        default: throw PrimitiveError("\(what) must be a string, got \(value.typeName)")
        }
    }

    /// `NAME = { ... }` entries, in name order, each NAME checked by the rule of `kind` (an error at its key).
    static func namedTables(_ value: LuaValue, _ what: String, kind: NameKind) throws -> [(String, LuaValue)] {
        let entries = try namedValues(value, what)
        for (name, _) in entries {
            if let problem = Names.problem(name, as: kind) { throw SpecError("\(what): \(problem)", at: [name]) }
        }
        return entries
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
