import Cloud

/// An app as `apps = { NAME = { source, ref, start, port, health, env, keep } }` declares it.
public struct AppSpec: Sendable, Equatable {
    public var name: String
    /// git+file:PATH, git+URL
    public var source: String
    public var ref: String
    public var start: String
    public var port: Int
    public var health: String
    public var env: [String: String]
    /// Releases kept on each instance.
    public var keep: Int
    /// Seconds a restarted instance has to answer its health check.
    public var healthTimeout: Double

    public init(name: String, json: JSONValue) throws {
        guard case .object(let o) = json else { throw CloudError("app \(name): expected a table") }
        func string(_ key: String) -> String? { if case .string(let s) = o[key] { return s }; return nil }
        func int(_ key: String) -> Int? {
            switch o[key] { case .int(let i): return Int(i); case .number(let d): return Int(d); default: return nil }
        }
        guard let start = string("start") else { throw CloudError("app \(name): start = COMMAND is required") }
        self.name = name
        source = string("source") ?? ""
        ref = string("ref") ?? "main"
        self.start = start
        port = int("port") ?? 8000
        health = string("health") ?? "/health"
        keep = max(1, int("keep") ?? 5)
        healthTimeout = Double(int("health_timeout") ?? 20)
        if case .object(let e) = o["env"] {
            env = e.compactMapValues { if case .string(let s) = $0 { return s }; return nil }
        } else {
            env = [:]
        }
    }

    /// Whether releases can be made (an app without a source is only named for its hooks).
    public var deployable: Bool { !source.isEmpty }

    /// Where releases live inside an instance.
    public var folder: String { "srv/apps/\(name)" }

    /// The service that runs the current release: it waits for the first release, records its
    /// pid (the shell execs the app, so the pid is the app's), and starts.
    public var service: ServiceSpec {
        let env = self.env.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let command = "mkdir -p $ROOT/run; while [ ! -e $ROOT/\(folder)/current ]; do sleep 0.2; done; "
            + "cd $ROOT/\(folder)/current && echo $$ > $ROOT/run/app-\(name).pid && exec env \(env) \(start)"
        return ServiceSpec(name: "app-\(name)", command: command, port: port)
    }
}
