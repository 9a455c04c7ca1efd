import Cloud

/// An app as `apps = { NAME = { source, ref, sha256, start, port, health, env, build, keep } }` declares it:
/// parsed once (`init(name:json:)`, with errors naming the field), recorded with the declaration
/// in the same shape, and read back through the same parser.
public struct AppSpec: Sendable, Equatable, Codable {
    public static let fields: Set<String> = [
        "source", "ref", "sha256", "start", "port", "health", "health_timeout", "env", "build", "build_timeout", "keep", "max_size",
    ]
    /// What a release may unpack to when `max_size` is not declared.
    public static let defaultMaxSize: Int64 = 1 << 30

    public var name: String
    /// git+file:PATH, git+URL, file:FOLDER, file:PATH.tar.gz|.zip or http(s)://….tar.gz|.zip
    public var source: String
    public var ref: String
    /// The archive's expected SHA-256 (archive sources only).
    public var sha256: String?
    /// Run in a new release's folder before it is switched to; a failure stops the deploy.
    public var build: String?
    public var buildTimeout: Double
    public var start: String
    public var port: Int
    public var health: String
    public var env: [String: String]
    /// Releases kept on each instance.
    public var keep: Int
    /// Seconds a restarted instance has to answer its health check.
    public var healthTimeout: Double
    /// Bytes a release may unpack to (`max_size = "500MB"`; KB, MB, GB; a bare number is MB).
    public var maxSize: Int64
    private var declaredMaxSize: JSONValue?

    /// Errors are `SpecError`s naming the field (`port`), for the recipe line that wrote it.
    public init(name: String, json: JSONValue) throws {
        guard case .object(let o) = json else { throw SpecError("app \(name): expected a table") }
        func wrong(_ key: String, _ expected: String) -> SpecError {
            SpecError("app \(name): \(key) must be \(expected), got \(o[key].map(Self.shown) ?? "nil")", at: [key])
        }
        func string(_ key: String) throws -> String? {
            switch o[key] { case nil, .null: return nil; case .string(let s): return s; default: throw wrong(key, "a string") }
        }
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            let value: Int
            switch o[key] {
            case nil, .null: return nil
            case .int(let i): value = Int(i)
            case .number(let d) where d == d.rounded() && abs(d) < 1e9: value = Int(d)
            case .string(let s) where Int(s.trimmingCharacters(in: .whitespaces)) != nil: value = Int(s.trimmingCharacters(in: .whitespaces))!
            default: throw wrong(key, "a whole number")
            }
            guard range.contains(value) else { throw wrong(key, "between \(range.lowerBound) and \(range.upperBound)") }
            return value
        }
        if let unknown = o.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw SpecError("app \(name): unknown field '\(unknown)' (fields: \(Self.fields.sorted().joined(separator: ", ")))", at: [unknown])
        }
        guard let start = try string("start") else { throw SpecError("app \(name): start = COMMAND is required") }
        self.name = name
        source = try string("source") ?? ""
        ref = try string("ref") ?? "main"
        if let problem = Self.optionLike(ref, "ref") { throw SpecError("app \(name): \(problem)", at: ["ref"]) }
        if let problem = Self.optionLike(source, "source") { throw SpecError("app \(name): \(problem)", at: ["source"]) }
        sha256 = try string("sha256")?.lowercased()
        if let sha256, sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
            throw SpecError("app \(name): sha256 must be 64 hex digits", at: ["sha256"])
        }
        build = try string("build")
        buildTimeout = Double(try int("build_timeout", 1...86_400) ?? 600)
        self.start = start
        port = try int("port", 1...65_535) ?? 8000
        health = try string("health") ?? "/health"
        guard health.hasPrefix("/") else { throw wrong("health", "a path such as \"/health\"") }
        keep = max(1, try int("keep", 1...1_000) ?? 5)
        healthTimeout = Double(try int("health_timeout", 1...3_600) ?? 20)
        declaredMaxSize = o["max_size"].flatMap { $0 == .null ? nil : $0 }
        if let declared = declaredMaxSize {
            guard let bytes = Self.bytes(declared), bytes > 0 else { throw wrong("max_size", "a size such as \"500MB\" or \"2GB\"") }
            maxSize = bytes
        } else {
            maxSize = Self.defaultMaxSize
        }
        switch o["env"] {
        case nil, .null: env = [:]
        case .object(let e):
            env = e.compactMapValues { if case .string(let s) = $0 { return s }; return nil }
            if let bad = e.keys.sorted().first(where: { !Shell.isVariableName($0) || env[$0] == nil }) {
                throw SpecError("app \(name): env.\(bad) must be a variable name with a string value", at: ["env", bad])
            }
        default: throw wrong("env", "a table of NAME = \"value\"")
        }
    }

    /// "500MB", "1.5GB", "800KB", or a number of MB.
    static func bytes(_ value: JSONValue) -> Int64? {
        let units: [(String, Double)] = [("KB", 1_024), ("MB", 1_048_576), ("GB", 1_073_741_824), ("TB", 1_099_511_627_776)]
        switch value {
        case .int(let i): return i > 0 && i < 1 << 40 ? i << 20 : nil
        case .number(let d): return d > 0 && d < 1e12 ? Int64(d * 1_048_576) : nil
        case .string(let s):
            let text = s.trimmingCharacters(in: .whitespaces).uppercased()
            for (unit, factor) in units where text.hasSuffix(unit) {
                guard let n = Double(text.dropLast(unit.count).trimmingCharacters(in: .whitespaces)), n > 0, n * factor < 1e15 else { return nil }
                return Int64(n * factor)
            }
            return Double(text).flatMap { $0 > 0 && $0 < 1e12 ? Int64($0 * 1_048_576) : nil }
        default: return nil
        }
    }

    private static func shown(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return "string \"\(s)\""
        case .int(let i): return "\(i)"
        case .number(let d): return "\(d)"
        case .bool(let b): return "\(b)"
        case .object, .array: return "a table"
        case .null: return "nil"
        }
    }

    /// The declaration as `apps = { NAME = { ... } }` takes it, every default filled in.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "source": .string(source), "ref": .string(ref), "start": .string(start), "port": .int(Int64(port)),
            "health": .string(health), "health_timeout": .int(Int64(healthTimeout)), "keep": .int(Int64(keep)),
            "build_timeout": .int(Int64(buildTimeout)), "env": .object(env.mapValues(JSONValue.string)),
        ]
        if let sha256 { o["sha256"] = .string(sha256) }
        if let build { o["build"] = .string(build) }
        if let declaredMaxSize { o["max_size"] = declaredMaxSize }
        return .object(o)
    }

    /// Recorded as `json`; its name is the key it is recorded under (`ClusterSpec` sets it).
    public init(from decoder: any Decoder) throws {
        try self.init(name: "", json: try JSONValue(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    /// Why a ref or source cannot be handed to git or curl: one that starts with `-` would be
    /// read as an option (`--upload-pack=…`), and a NUL or a line break is never part of one.
    static func optionLike(_ value: String, _ what: String) -> String? {
        if value.hasPrefix("-") { return "\(what) '\(value)' must not start with '-' (it would be read as an option)" }
        if value.contains(where: { $0 == "\0" || $0.isNewline }) { return "\(what) must not hold a NUL or a line break" }
        return nil
    }

    /// Whether releases can be made (an app without a source is only named for its hooks).
    public var deployable: Bool { !source.isEmpty }

    /// Where releases live inside an instance.
    public var folder: String { Self.folder(of: name) }

    static func folder(of app: String) -> String { "srv/apps/\(app)" }

    /// The service that runs the current release: it waits for the first release, records its
    /// pid (the shell execs the app, so the pid is the app's), and starts. Its env is the
    /// service's, not words of its command line, which any user of the machine can read (`ps`).
    public var service: ServiceSpec {
        let current = folder + "/current", pidFile = "run/app-\(name).pid"
        let command: ShellCommand = "mkdir -p \"$ROOT\"/run; while [ ! -e \"$ROOT\"/\(current) ]; do sleep 0.2; done; "
            + "cd \"$ROOT\"/\(current) && echo $$ > \"$ROOT\"/\(pidFile) && exec \(ShellCommand(userShell: start))"
        return ServiceSpec(name: "app-\(name)", command: command.text, port: port, env: env.isEmpty ? nil : env)
    }

    /// `env K='V' …`: the app's environment for a build's shell command line.
    var environment: ShellCommand {
        ShellCommand.joined(["env"] + env.sorted { $0.key < $1.key }.compactMap { ShellCommand.assignment($0.key, $0.value) }, separator: " ")
    }
}
