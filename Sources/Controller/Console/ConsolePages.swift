import Foundation
import Mustache
import Store

/// The console's templates (Templates/*.mustache, built into the binary), each page rendered
/// into the layout. Mustache escapes every value, so a cluster or instance name is text, never markup.
struct ConsolePages: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        let templates: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("signin", PackageResources.signin_mustache),
            ("clusters", PackageResources.clusters_mustache), ("cluster", PackageResources.cluster_mustache),
            ("problem", PackageResources.problem_mustache), ("events", PackageResources.events_mustache),
            ("clusternav", PackageResources.clusternav_mustache), ("deploys", PackageResources.deploys_mustache),
            ("graphs", PackageResources.graphs_mustache), ("usage", PackageResources.usage_mustache),
            ("users", PackageResources.users_mustache), ("plan", PackageResources.plan_mustache),
        ]
        for (name, bytes) in templates { try library.register(String(decoding: bytes, as: UTF8.self), named: name) }
        self.library = library
    }

    /// A page in the layout, with who is signed in and the form token of their session.
    func render(_ template: String, title: String, _ values: [String: Any], session: ConsoleSession?) -> String {
        let content = library.render(values, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "content": content]
        if let session {
            layout["actor"] = session.identity.actor
            layout["csrf"] = session.csrf
            layout["admin"] = Access.decide(session.identity, .users, cluster: nil).isAllowed
        }
        return library.render(layout, withTemplate: "layout") ?? ""
    }

    func signIn(problem: String?, csrf: String) -> String {
        render("signin", title: "Sign in", ["problem": problem ?? "", "hasProblem": problem != nil, "csrf": csrf], session: nil)
    }

    func problem(status: Int, message: String, session: ConsoleSession?) -> String {
        render("problem", title: "\(status)", ["status": status, "message": message, "signedIn": session != nil], session: session)
    }
}
