import Foundation
import Hummingbird
import Store

/// The cluster page's buttons: stop, start and replace an instance, snapshot a volume, clone the
/// cluster, and its plan shown as a diff. Each is the API route of the same name, as the person.
extension Console {
    static let instanceActions: Set<String> = ["stop", "start", "replace"]

    func instanceAction(_ action: String, cluster: String, instance: String, _ session: ConsoleSession) async throws -> Response {
        guard Self.instanceActions.contains(action) else { throw APIProblem(404, "an instance has no action \(action) (stop, start, replace)") }
        let _: Answered = try await read(.post, "/api/v1/clusters/{cluster}/instances/{instance}/\(action)",
                                         parameters: ["cluster": cluster, "instance": instance], as: session)
        return Self.redirect("/clusters/\(cluster)")
    }

    func snapshot(cluster: String, volume: String, _ session: ConsoleSession) async throws -> Response {
        let _: Answered = try await read(.post, "/api/v1/clusters/{cluster}/volumes/{volume}/snapshot",
                                         parameters: ["cluster": cluster, "volume": volume], as: session)
        return Self.redirect("/clusters/\(cluster)")
    }

    /// Recipes/clone.lua: the target's name, a scale for its counts, and its data (empty, or from snapshots).
    func clone(cluster: String, form: ConsoleForm, _ session: ConsoleSession) async throws -> Response {
        let target = (form["target"] ?? "").trimmingCharacters(in: .whitespaces)
        var body: [String: Any] = ["target": target, "data": form["data"] == "snapshot" ? "snapshot" : "empty"]
        if let text = form["scale"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let scale = Double(text), scale > 0 else { throw APIProblem(400, "scale: '\(text)' is not a number above 0, such as 0.5 or 2") }
            body["scale"] = scale
        }
        let _: Answered = try await read(.post, "/api/v1/clusters/{cluster}/clone", parameters: ["cluster": cluster],
                                         body: try JSONSerialization.data(withJSONObject: body), as: session)
        return Self.redirect("/clusters/\(target)")
    }

    /// Runs the recipe that declared the cluster again, then shows the cluster.
    func runRecipe(_ cluster: String, _ session: ConsoleSession) async throws -> Response {
        let _: Answered = try await read(.post, "/api/v1/clusters/{cluster}/run", parameters: ["cluster": cluster], as: session)
        return Self.redirect("/clusters/\(cluster)")
    }

    /// What running the cluster's recipe again would change, as `recipe plan` says it: + adds, ~ changes, - removes.
    func plan(_ cluster: String, _ session: ConsoleSession) async throws -> Response {
        let run: APIDocuments.Run = try await read(.post, "/api/v1/clusters/{cluster}/plan", parameters: ["cluster": cluster], as: session)
        let clusters = run.clusters.map { planned -> [String: Any] in
            let steps = planned.steps.map { step -> [String: Any] in
                let action = step.action.rawValue
                let style = action == "+" ? "add" : action == "-" ? "remove" : "change"
                return ["action": action, "style": style, "kind": step.kind, "name": step.name, "detail": step.detail ?? ""]
            }
            return ["name": planned.name, "add": planned.add, "change": planned.change, "destroy": planned.destroy,
                    "steps": steps, "none": steps.isEmpty]
        }
        return page(pages.render("plan", title: "\(cluster) plan", [
            "cluster": cluster, "clusters": clusters, "output": run.output, "hasOutput": !run.output.isEmpty,
            "canRun": Access.decide(session.identity, .run, cluster: cluster).isAllowed, "nav": clusterNav(cluster, current: "plan"),
        ], session: session), status: .ok)
    }
}
