import Engine
import Foundation
import Hummingbird
import Store

/// A cluster's deploys: what each app's instances run, its releases, who deployed what and how
/// it ended, and the one-click deploy and rollback, whose log the page then follows live.
extension Console {
    /// The kinds a rollout records as it goes: its start and end, the drain, ready and deploy
    /// hooks, and the steps it runs on each instance.
    static let deployLogKinds = "deploy,hook,command.internal"

    func deploys(_ cluster: String, after: Int64?, _ session: ConsoleSession) async throws -> Response {
        guard let record = try api.store.cluster(cluster) else { throw APIProblem(404, "no cluster named \(cluster)") }
        let declaration = try record.declaration()
        let canDeploy = Access.decide(session.identity, .deploy, cluster: cluster).isAllowed
        let canRollback = Access.decide(session.identity, .rollback, cluster: cluster).isAllowed
        var apps: [[String: Any]] = []
        for (name, spec) in declaration.apps.sorted(by: { $0.key < $1.key }) {
            let document: ReleasesDocument = try await read(.get, "/api/v1/clusters/{cluster}/apps/{app}/releases",
                                                            parameters: ["cluster": cluster, "app": name], as: session)
            let refs = Dictionary(document.releases.map { ($0.release, $0.ref) }, uniquingKeysWith: { first, _ in first })
            let fleet = document.fleet.map { member -> [String: Any] in
                let release = member.release.map { refs[$0].map { ref in "\(ref) (\(member.release!))" } ?? $0 }
                return ["name": member.name, "release": member.reachable ? release ?? "none" : "not answering", "reachable": member.reachable]
            }
            let releases = document.releases.map { release -> [String: Any] in
                ["release": release.release, "ref": release.ref, "sha": String(release.sha.prefix(12)),
                 "time": release.createdAt.ISO8601Format(), "state": release.state.rawValue, "current": release.state == .current]
            }
            let history = try deployHistory(cluster, app: name)
            apps.append([
                "app": name, "ref": spec.ref, "source": spec.source, "fleet": fleet, "noFleet": fleet.isEmpty,
                "releases": releases, "noReleases": releases.isEmpty, "history": history, "hasHistory": !history.isEmpty,
                "canDeploy": canDeploy,
                "canRollback": canRollback && document.releases.contains { $0.state == .superseded },
                "unfinished": document.unfinished.map { "interrupted \($0.kind) of \($0.ref): \($0.summary)" } ?? "",
            ])
        }
        // the log starts at the click that led here, or at the rollout still running
        let start = try after ?? runningDeployStart(cluster) ?? latestEventID(cluster)
        let log = try deployLog(cluster, after: start)
        let status = Self.deployStatus(log)
        return page(pages.render("deploys", title: "\(cluster) deploys", [
            "cluster": cluster, "apps": apps, "noApps": apps.isEmpty, "csrf": session.csrf, "after": log.last?["id"] as? Int64 ?? start,
            "stream": "/clusters/\(cluster)/events/stream?kind=\(Self.deployLogKinds)",
            "log": log, "status": status.text, "statusStyle": status.style, "nav": clusterNav(cluster, current: "deploys"),
        ], session: session), status: .ok)
    }

    /// Deploys `ref` in the background as the person, then shows the deploy page following its
    /// log; a person without the right gets the API's 403 at once, recorded as such.
    func deploy(cluster: String, app: String, form: ConsoleForm, _ session: ConsoleSession) async throws -> Response {
        let ref = (form["ref"] ?? "").trimmingCharacters(in: .whitespaces)
        var body: [String: String] = [:]
        if !ref.isEmpty { body["ref"] = ref }
        return try await rollOut(.deploy, "/api/v1/clusters/{cluster}/apps/{app}/deploy", cluster: cluster, app: app, body: body, session)
    }

    func rollback(cluster: String, app: String, _ session: ConsoleSession) async throws -> Response {
        try await rollOut(.rollback, "/api/v1/clusters/{cluster}/apps/{app}/rollback", cluster: cluster, app: app, body: [:], session)
    }

    private func rollOut(_ action: AccessAction, _ path: String, cluster: String, app: String, body: [String: String],
                         _ session: ConsoleSession) async throws -> Response {
        let parameters = ["cluster": cluster, "app": app]
        let data = try JSONSerialization.data(withJSONObject: body)
        guard Access.decide(session.identity, action, cluster: cluster).isAllowed else {
            let _: Answered = try await read(.post, path, parameters: parameters, body: data, as: session)  // refused, and recorded
            throw APIProblem(403, "refused")
        }
        let start = try latestEventID(cluster)
        Task { [self] in
            do {
                let _: Answered = try await read(.post, path, parameters: parameters, body: data, as: session)
            } catch {
                // a rollout that failed before it began (an unknown ref, a held lock) says so in the log
                try? recordUnstarted(cluster: cluster, app: app, after: start, error, session)
            }
        }
        return Self.redirect("/clusters/\(cluster)/deploys?after=\(start)")
    }

    /// `deploy.failed` with the reason, unless the rollout itself recorded how it ended.
    private func recordUnstarted(cluster: String, app: String, after: Int64, _ error: any Error, _ session: ConsoleSession) throws {
        var query = EventQuery(cluster: cluster)
        (query.kinds, query.after) = (["deploy.failed", "deploy.finished", "deploy.rolledback"], after)
        guard try api.store.events(query).allSatisfy({ $0.subject != app }) else { return }
        let reason = (error as? APIProblem)?.message ?? "\(error)"
        _ = try api.store.record(Event(actor: session.identity.actor, cluster: cluster, kind: "deploy.failed", subject: app,
                                   detail: reason, result: "failed"))
    }

    /// Who deployed or rolled back what, and how each ended: the newest twenty.
    func deployHistory(_ cluster: String, app: String) throws -> [[String: Any]] {
        var query = EventQuery(cluster: cluster)
        (query.kinds, query.newest) = (["deploy"], 200)
        return try api.store.events(query).filter { $0.subject == app }.suffix(20).reversed().map { event in
            ["time": event.time.ISO8601Format(), "what": String(event.kind.dropFirst("deploy.".count)), "detail": event.detail ?? "",
             "actor": event.actor, "failed": event.kind == "deploy.failed"]
        }
    }

    /// The log's lines so far: the rollout's events after `start`, oldest first.
    func deployLog(_ cluster: String, after start: Int64) throws -> [[String: Any]] {
        var query = EventQuery(cluster: cluster)
        (query.kinds, query.after, query.newest) = (Self.deployLogKinds.split(separator: ",").map(String.init), start, 500)
        return try api.store.events(query).map(Self.logLine)
    }

    /// How the log's rollout stands, and its class: its end if it ended, else rolling out
    /// (console.js says the same live).
    static func deployStatus(_ log: [[String: Any]]) -> (text: String, style: String) {
        guard !log.isEmpty else { return ("No rollout since this page opened. A deploy or rollback started here shows its steps as they happen.", "") }
        guard let end = log.last(where: { ["deploy.finished", "deploy.rolledback", "deploy.failed"].contains($0["kind"] as? String ?? "") }) else {
            return ("Rolling out…", "")
        }
        let detail = end["detail"] as? String ?? ""
        return end["kind"] as? String == "deploy.failed" ? ("Failed: \(detail)", "bad") : ("Succeeded: \(detail)", "good")
    }

    static func logLine(_ event: Event) -> [String: Any] {
        ["id": event.id ?? 0, "time": event.time.ISO8601Format(), "kind": event.kind, "subject": event.subject ?? "",
         "detail": event.detail ?? "",
         // a step's exit code is the rollout's to judge (`test -d` fails on purpose): only hooks and the rollout itself fail here
         "failed": event.result.hasPrefix("failed") && event.kind != "command.internal"]
    }

    /// The event just before the rollout still running began, if one is.
    private func runningDeployStart(_ cluster: String) throws -> Int64? {
        var query = EventQuery(cluster: cluster)
        (query.kinds, query.newest) = (["deploy"], 1)
        guard let last = try api.store.events(query).last, last.kind == "deploy.started", let id = last.id else { return nil }
        return id - 1
    }

    func latestEventID(_ cluster: String) throws -> Int64 {
        var query = EventQuery(cluster: cluster)
        (query.hidden, query.newest) = ([], 1)
        return try api.store.events(query).last?.id ?? 0
    }
}
