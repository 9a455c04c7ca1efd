import Cloud
import Foundation
import GRDB

extension Store {
    static func migrateAgentLinks(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10: agent links") { db in
            try db.execute(sql: """
                CREATE TABLE agentLinks (
                    instanceID TEXT PRIMARY KEY, cluster TEXT NOT NULL, bootstrapSha256 BLOB, tokenSha256 BLOB,
                    interval DOUBLE NOT NULL, createdAt REAL NOT NULL, registeredAt REAL, heartbeatAt REAL,
                    cpuPercent DOUBLE, memoryBytes INTEGER, host TEXT);
                CREATE UNIQUE INDEX agentLinks_token ON agentLinks(tokenSha256);
                CREATE INDEX agentLinks_cluster ON agentLinks(cluster);
                CREATE TABLE controllers (
                    id TEXT PRIMARY KEY, url TEXT NOT NULL, agentSha256 TEXT, pid INTEGER NOT NULL,
                    host TEXT NOT NULL, startedAt REAL NOT NULL);
                ALTER TABLE commands ADD COLUMN kind TEXT NOT NULL DEFAULT 'run';
                ALTER TABLE commands ADD COLUMN path TEXT;
                ALTER TABLE commands ADD COLUMN acknowledgedAt REAL;
                """)
        }
        migrator.registerMigration("v11: agents' machines") { db in
            try db.execute(sql: "ALTER TABLE agentLinks ADD COLUMN machine TEXT")
        }
    }

    /// Binds one launch's bootstrap secret to the instances it started: each may trade it once
    /// for a token of its own, and for no other instance.
    /// `machines`: what each agent is told of itself (name, address, services), by instance id.
    public func bindBootstrap(_ secret: String, instances: [String], cluster: String, interval: Double,
                              machines: [AgentDocuments.Machine] = [], now: Date = Date()) throws {
        let hash = Digest.sha256(Data(secret.utf8))
        let described = Dictionary(machines.map { ($0.id, $0) }) { first, _ in first }
        try state.write { sql in
            for id in instances {
                let machine = try described[id].map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
                let link = AgentLink(instanceID: id, cluster: cluster, bootstrapSha256: hash, tokenSha256: nil, interval: interval,
                                     createdAt: now, machine: machine)
                // a link bound again (a relaunch under the same id) starts over: every column replaced,
                // in one statement, so two binds at once (two controllers) end with one of them
                try sql.upsert(link, into: AgentLink.databaseTableName, key: ["instanceID"], nulls: true)
            }
        }
    }

    /// What the instance's agent is, as kept at launch (nil for a link bound without it).
    public func agentMachine(_ instance: String) throws -> AgentDocuments.Machine? {
        try agentLink(instance)?.described
    }

    /// The release archive named `name` (`SHA.tar`) if it is one of the cluster's, deployed or
    /// being deployed: an agent fetches only its own cluster's.
    public func releaseArchive(cluster: String, name: String) throws -> URL? {
        try state.read { sql in
            let paths = try sql.rows("SELECT archive FROM releases WHERE cluster = ? UNION SELECT archive FROM deploys WHERE cluster = ?",
                                     cluster, cluster).compactMap { $0[0].string }
            return paths.map { URL(fileURLWithPath: $0) }.first { $0.lastPathComponent == name }
        }
    }

    /// What a remote agent says happened to its services, recorded as its instance's events.
    public func recordAgentEvents(_ instance: String, _ events: [AgentDocuments.ServiceEvent]) throws {
        guard let link = try agentLink(instance) else { return }
        let name = link.described?.name ?? instance
        for event in events {
            _ = try record(Event(actor: "agent:\(instance)", cluster: link.cluster, kind: event.kind, subject: "\(name)/\(event.service)",
                                 detail: event.detail, result: event.result))
        }
    }

    /// Trades an instance's bootstrap secret for its agent's token (returned once; kept as its
    /// SHA-256). Refused, it records `agent.refused` and throws the 401's reason.
    public func registerAgent(_ registration: AgentDocuments.Registration, now: Date = Date()) throws -> AgentDocuments.Registered {
        let presented = Digest.sha256(Data(registration.bootstrap.utf8))
        let token = TokenSecret.generate(prefix: TokenSecret.agentPrefix)
        let outcome: Result<AgentLink, AuthenticationFailure> = try state.write { sql in
            guard var link = try Self.agentLink(sql, registration.instance) else {
                return .failure(AuthenticationFailure(reason: "instance \(registration.instance) expects no agent"))
            }
            guard let expected = link.bootstrapSha256 else {
                return .failure(AuthenticationFailure(reason: "the bootstrap secret of \(registration.instance) was used already"))
            }
            guard Digest.constantTimeEqual(expected, presented) else {
                return .failure(AuthenticationFailure(reason: "the bootstrap secret is not \(registration.instance)'s"))
            }
            link.bootstrapSha256 = nil
            link.tokenSha256 = Digest.sha256(Data(token.utf8))
            link.registeredAt = now
            link.host = registration.host.map { String($0.prefix(200)) }
            // traded only while it is not yet, so of agents presenting it at once (PostgreSQL) one gets a token
            guard try sql.execute("""
                UPDATE agentLinks SET bootstrapSha256 = NULL, tokenSha256 = ?, registeredAt = ?, host = ? WHERE instanceID = ? AND bootstrapSha256 = ?
                """, [.blob(Array(link.tokenSha256 ?? Data())), now.sqlValue, link.host.sqlValue, .text(link.instanceID), .blob(Array(expected))]) == 1 else {
                return .failure(AuthenticationFailure(reason: "the bootstrap secret of \(registration.instance) was used already"))
            }
            try Self.audit(sql, actor: "agent:\(link.instanceID)", kind: "agent.registered", cluster: link.cluster,
                           subject: link.instanceID, detail: link.host)
            return .success(link)
        }
        switch outcome {
        case .success(let link):
            return AgentDocuments.Registered(token: token, heartbeat: link.interval)
        case .failure(let failure):
            let cluster = try agentLink(registration.instance)?.cluster
            _ = try record(Event(actor: "anonymous", cluster: cluster, kind: "agent.refused", subject: String(registration.instance.prefix(64)),
                                 detail: failure.reason, result: "failed: 401"))
            throw failure
        }
    }

    /// The instance whose agent presents `secret`, if any (a constant-time check after the lookup).
    func agentInstance(token secret: String) throws -> String? {
        let hash = Digest.sha256(Data(secret.utf8))
        return try state.read { sql in
            guard let link = try sql.fetch(AgentLink.self, "SELECT * FROM agentLinks WHERE tokenSha256 = ?", SQLValue.blob(Array(hash))).first,
                  let kept = link.tokenSha256, Digest.constantTimeEqual(kept, hash) else { return nil }
            return link.instanceID
        }
    }

    public func agentLink(_ instance: String) throws -> AgentLink? {
        try state.read { sql in try Self.agentLink(sql, instance) }
    }

    private static func agentLink(_ sql: any StateSQL, _ instance: String) throws -> AgentLink? {
        try sql.fetch(AgentLink.self, "SELECT * FROM agentLinks WHERE instanceID = ?", instance).first
    }

    public func agentLinks(cluster: String) throws -> [AgentLink] {
        try state.read { sql in try sql.fetch(AgentLink.self, "SELECT * FROM agentLinks WHERE cluster = ? ORDER BY instanceID", cluster) }
    }

    /// A remote agent's heartbeat: its link's last word and the samples status and alarms read.
    public func agentHeartbeat(_ instance: String, _ beat: AgentDocuments.Heartbeat, at now: Date = Date()) throws {
        let time = now.timeIntervalSince1970
        try state.write { sql in
            try sql.execute("UPDATE agentLinks SET heartbeatAt = ?, cpuPercent = ?, memoryBytes = ? WHERE instanceID = ?",
                            time, beat.cpuPercent, beat.memoryBytes, instance)
            try Self.heartbeatSamples(sql, instance: instance, time: time, cpuPercent: beat.cpuPercent, memoryBytes: beat.memoryBytes,
                                      memoryPercent: beat.memoryPercent, load: beat.load)
        }
    }

    /// Terminated instances' agents may speak no more: their tokens open nothing.
    public func forgetAgentLinks(_ instances: [String]) throws {
        guard !instances.isEmpty else { return }
        try state.write { sql in
            try sql.execute("DELETE FROM agentLinks WHERE instanceID IN (\(placeholders(instances.count)))", instances.map(SQLValue.text))
        }
        serviceLogs.forget(instances)
    }

    /// The copy of remote agents' service logs kept in this home.
    public var serviceLogs: ServiceLogMirror { ServiceLogMirror(home: home) }

    /// Keeps what an agent's services wrote: only services its machine runs, a bounded chunk each.
    public func keepServiceLogs(_ instance: String, _ chunks: [AgentDocuments.ServiceLogChunk]) throws {
        let services = Set(try agentMachine(instance)?.services.map(\.name) ?? [])
        for chunk in chunks {
            guard services.contains(chunk.service), Names.problem(chunk.service, as: .service) == nil else {
                throw CloudError("service \(chunk.service): not one this instance runs")
            }
            guard chunk.text.utf8.count <= ServiceLogMirror.chunkLimit else {
                throw CloudError("service \(chunk.service): a chunk of \(chunk.text.utf8.count) bytes is over \(ServiceLogMirror.chunkLimit)")
            }
        }
        for chunk in chunks where !chunk.text.isEmpty { try serviceLogs.append(chunk, instance: instance) }
    }

    /// Who may log in to an instance of the cluster: the users its recipe declares with a key, but
    /// not those it denies.
    public func machineUsers(instance: String) throws -> [AgentDocuments.MachineUser] {
        guard let link = try agentLink(instance) else { return [] }
        return try machineUsers(cluster: link.cluster)
    }

    public func machineUsers(cluster: String) throws -> [AgentDocuments.MachineUser] {
        try users(cluster: cluster).filter { $0.role != AccessLevel.deny.rawValue }.compactMap { user in
            user.sshKey.map { AgentDocuments.MachineUser(name: user.name, sshKey: $0, sudo: user.sudo) }
        }
    }
}
