import Cloud
import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Store

/// The pages, each read through the API route that answers the same question.
extension Console {
    func clusters(_ session: ConsoleSession) async throws -> Response {
        let report: StatusReport = try await read(.get, "/api/v1/clusters", as: session)
        let rows = try report.clusters.map { cluster -> [String: Any] in
            var row: [String: Any] = [
                "name": cluster.name, "provider": cluster.provider, "instances": cluster.instances.count,
                "states": Self.tally(cluster.instances.map(\.state)), "health": Self.tally(cluster.instances.map(\.health)),
                "healthy": cluster.instances.allSatisfy { $0.health == "healthy" }, "deploy": "none yet", "deployTime": "",
            ]
            // the status route let the person see this cluster, its deploys with it
            if let last = try lastDeploy(cluster.name) {
                row["deploy"] = "\(last.subject ?? "") \(last.kind.dropFirst("deploy.".count)): \(last.detail ?? "")"
                row["deployTime"] = last.time.ISO8601Format()
                row["deployFailed"] = last.kind != "deploy.finished"
                row["deployed"] = true
            }
            return row
        }
        return page(pages.render("clusters", title: "Clusters", ["clusters": rows, "empty": rows.isEmpty], session: session), status: .ok)
    }

    func cluster(_ name: String, _ session: ConsoleSession) async throws -> Response {
        let report: StatusReport = try await read(.get, "/api/v1/clusters/{cluster}", parameters: ["cluster": name], as: session)
        guard let status = report.clusters.first, let record = try api.store.cluster(name) else {
            throw APIProblem(404, "no cluster named \(name)")
        }
        let declaration = try record.declaration()
        let canScale = Access.decide(session.identity, .scale, cluster: name).isAllowed
        let canAct = canScale  // stop, start and replace are the scale right's, as in the API
        let canSnapshot = Access.decide(session.identity, .run, cluster: name).isAllowed
        let layers = declaration.layers.map { layer -> [String: Any] in
            let members = status.instances.filter { $0.layer == layer.name }
            return ["name": layer.name, "count": layer.count, "running": members.count,
                    "healthy": members.filter { $0.health == "healthy" }.count, "heal": layer.healAfter.map { "after \(Int($0)) s" } ?? "off",
                    "autoscale": layer.autoscale.map(Self.summary) ?? "off",
                    "canScale": canScale]
        }
        let releases = try recordedReleases(name, declaration, instances: status.instances.map { ($0.id, $0.layer) })
        let instances = status.instances.sorted { $0.name < $1.name }.map { i -> [String: Any] in
            ["name": i.name, "release": releases[i.id] ?? "–", "id": i.id, "layer": i.layer, "state": i.state, "health": i.health, "healthy": i.health == "healthy",
             "address": i.private_ip, "public": i.public_ip ?? "", "cpu": i.cpu_percent.map { String(format: "%.1f %%", $0) } ?? "–",
             "memory": i.memory_bytes.map { ByteCountFormatter.string(fromByteCount: $0, countStyle: .memory) } ?? "–",
             "heartbeat": i.last_heartbeat ?? "–", "agent": i.agent_pid.map { "pid \($0)" } ?? (i.last_heartbeat == nil ? "–" : "remote"), "canAct": canAct, "stopped": i.state == "stopped",
             "stoppable": ["online", "running", "pending", "setup-failed"].contains(i.state)]
        }
        let volumes = status.volumes.map { ["name": $0.name, "id": $0.id, "size": $0.size_gb, "instance": $0.instance_id ?? "–", "mount": $0.mount ?? "–",
                                            "canSnapshot": canSnapshot] as [String: Any] }
        let snapshots = try await api.makeEngine(session.identity.actor).listSnapshots(cluster: name).sorted { $0.createdAt > $1.createdAt }.map {
            ["id": $0.id, "volume": $0.volumeID, "size": $0.sizeGB, "time": $0.createdAt.ISO8601Format()] as [String: Any]
        }
        let firewall = declaration.firewall.sorted().map { ["layer": $0.layer, "port": $0.port, "proto": $0.proto, "source": $0.source] as [String: Any] }
        let users = declaration.users.map { ["name": $0.name, "role": $0.role, "sudo": $0.sudo, "ssh": $0.sshKey != nil] as [String: Any] }
        let addresses = status.addresses.map { ["ip": $0.ip, "instance": $0.instance_id ?? "–"] }
        return page(pages.render("cluster", title: name, [
            "name": name, "cluster": name, "provider": status.provider, "layers": layers, "instances": instances, "noInstances": instances.isEmpty,
            "volumes": volumes, "addresses": addresses, "noStorage": volumes.isEmpty && addresses.isEmpty, "csrf": session.csrf,
            "snapshots": snapshots, "hasSnapshots": !snapshots.isEmpty, "firewall": firewall, "noFirewall": firewall.isEmpty,
            "users": users, "noUsers": users.isEmpty, "canClone": Access.decide(session.identity, .clone, cluster: name).isAllowed,
            "canAct": canAct,
            "nav": clusterNav(name, current: "overview"),
        ], session: session), status: .ok)
    }

    /// What each instance (by id) runs, as the deploy records say, "shop v2": each app's current
    /// release, or the one a rollout still running has already switched the instance to. The
    /// deploys page asks the instances themselves; this page stays as fast as the state.
    func recordedReleases(_ cluster: String, _ declaration: ClusterSpec, instances: [(id: String, layer: String)]) throws -> [String: String] {
        var current: [String: String] = [:]
        for app in declaration.apps.keys { current[app] = try api.store.currentRelease(cluster: cluster, app: app)?.ref }
        var switched: [String: [String: String]] = [:]  // app -> instance -> ref
        for (deploy, targets) in try api.store.unfinishedDeploys(cluster: cluster) {
            for target in targets where [.switched, .ready, .done].contains(target.phase) { switched[deploy.app, default: [:]][target.instance] = deploy.ref }
        }
        var releases: [String: String] = [:]
        for instance in instances {
            guard let layer = declaration.layers.first(where: { $0.name == instance.layer }) else { continue }
            let running = layer.apps.sorted().compactMap { app in (switched[app]?[instance.id] ?? current[app]).map { "\(app) \($0)" } }
            if !running.isEmpty { releases[instance.id] = running.joined(separator: ", ") }
        }
        return releases
    }

    /// "cpu avg: +2 above 70 for 60 s, -1 below 20 for 300 s, 2 to 10, 1 window", as declared
    /// (autoscale.lua fills in what is left out).
    static func summary(_ autoscale: AutoscaleSpec) -> String {
        var parts: [String] = []
        if let up = autoscale.up { parts.append("+\(up.add ?? 1) above \(SVGChart.label(up.above))" + (up.sustain.map { " for \(Int($0)) s" } ?? "")) }
        if let down = autoscale.down { parts.append("-\(down.remove ?? 1) below \(SVGChart.label(down.below))" + (down.sustain.map { " for \(Int($0)) s" } ?? "")) }
        if autoscale.min != nil || autoscale.max != nil { parts.append("\(autoscale.min.map(String.init) ?? "0") to \(autoscale.max.map(String.init) ?? "any")") }
        if !autoscale.schedule.isEmpty { parts.append("\(autoscale.schedule.count) window\(autoscale.schedule.count == 1 ? "" : "s")") }
        return "\(autoscale.metric)\(autoscale.stat.map { " " + $0 } ?? ""): " + parts.joined(separator: ", ")
    }

    /// The cluster's pages, as tabs.
    func clusterNav(_ cluster: String, current: String) -> [[String: Any]] {
        [("overview", "Overview", ""), ("deploys", "Deploys", "/deploys"), ("graphs", "Graphs", "/graphs"), ("plan", "Plan", "/plan"),
         ("events", "Events", "/events"), ("usage", "Usage", "/usage")].map { id, label, path in
            ["href": "/clusters/\(cluster)\(path)", "label": label, "current": id == current]
        }
    }

    /// The cluster's events, newest first, narrowed by kind, instance and actor as `recipe events`
    /// narrows them; the page then follows the stream of the same query.
    func events(_ cluster: String, filters: [String: String], _ session: ConsoleSession) async throws -> Response {
        var query = filters.filter { ["kind", "instance", "actor"].contains($0.key) && !$0.value.isEmpty }
        let streamQuery = query
        query["limit"] = "200"
        let data = try await document(.get, "/api/v1/clusters/{cluster}/events", parameters: ["cluster": cluster], query: query, as: session)
        let listed = (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
        let events = listed.sorted { ($0["id"] as? Int ?? 0) > ($1["id"] as? Int ?? 0) }
        var components = URLComponents()
        components.path = "/clusters/\(cluster)/events/stream"
        components.queryItems = streamQuery.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        return page(pages.render("events", title: "\(cluster) events", [
            "cluster": cluster, "events": events, "empty": events.isEmpty, "after": events.first?["id"] as? Int ?? 0,
            "stream": components.string ?? components.path,
            "kind": filters["kind"] ?? "", "instance": filters["instance"] ?? "", "actor": filters["actor"] ?? "",
            "nav": clusterNav(cluster, current: "events"),
        ], session: session), status: .ok)
    }

    /// The API's live stream of the same events, as the person may see it.
    func eventStream(_ cluster: String, query: [String: String], _ session: ConsoleSession) async throws -> Response {
        guard let route = api.routes.first(where: { $0.method == .get && $0.path == "/api/v1/clusters/{cluster}/events/stream" }) else {
            throw APIProblem(500, "the API has no event stream")
        }
        switch await api.perform(route, as: session.identity, parameters: ["cluster": cluster], query: query) {
        case .failure(let problem): throw problem
        case .success(let answer): return answer.response
        }
    }

    /// `count`: a number, or +N / -N, as `recipe scale` takes it.
    func scale(cluster: String, layer: String, form: ConsoleForm, _ session: ConsoleSession) async throws -> Response {
        let count = (form["count"] ?? "").trimmingCharacters(in: .whitespaces)
        let body = try JSONSerialization.data(withJSONObject: ["count": count])
        let _: Answered = try await read(.post, "/api/v1/clusters/{cluster}/layers/{layer}/scale",
                                                       parameters: ["cluster": cluster, "layer": layer], body: body, as: session)
        return Self.redirect("/clusters/\(cluster)")
    }

    /// Runs an API route as the session's person and decodes its document; its refusal or failure
    /// is thrown as the API said it.
    func read<Document: Decodable>(_ method: HTTPRequest.Method, _ path: String, parameters: [String: String] = [:],
                                   query: [String: String] = [:], body: Data = Data(), as session: ConsoleSession) async throws -> Document {
        try JSONDocument.decoder().decode(Document.self, from: try await document(method, path, parameters: parameters, query: query,
                                                                                  body: body, as: session))
    }

    /// The JSON document an API route answers the session's person.
    func document(_ method: HTTPRequest.Method, _ path: String, parameters: [String: String] = [:], query: [String: String] = [:],
                  body: Data = Data(), as session: ConsoleSession) async throws -> Data {
        guard let route = api.routes.first(where: { $0.method == method && $0.path == path }) else {
            throw APIProblem(500, "the console asks for \(method) \(path), which the API does not have")
        }
        switch await api.perform(route, as: session.identity, parameters: parameters, query: query,
                                 headers: ["Content-Type": "application/json"], body: body) {
        case .failure(let problem): throw problem
        case .success(.json(let data, _)): return data
        case .success(.response): throw APIProblem(500, "\(method) \(path) answers a stream, not a document")
        }
    }

    /// Any document: for a change whose answer the page does not show.
    struct Answered: Decodable {}

    /// The newest deploy or rollback that ended, whichever way.
    func lastDeploy(_ cluster: String) throws -> Event? {
        var query = EventQuery(cluster: cluster)
        query.kinds = ["deploy.finished", "deploy.failed", "deploy.rolledback"]
        query.newest = 1
        return try api.store.events(query).last
    }

    /// "3 online, 1 pending", most first.
    static func tally(_ values: [String]) -> String {
        var counts: [String: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        let ordered = counts.sorted { a, b in a.value != b.value ? a.value > b.value : a.key < b.key }
        return ordered.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }
}
