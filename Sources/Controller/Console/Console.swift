import Cloud
import Foundation
import Hummingbird
import HTTPTypes
import Store

/// The web console at `/`: server-rendered pages over the API's own routes. A page or a button
/// runs the API route it stands for as the signed-in person (`API.perform`), so the console can
/// see and do exactly what their token may, and every change it makes records them.
struct Console: Sendable {
    let api: API
    let pages: ConsolePages
    /// Cookies marked Secure when the controller serves TLS.
    let secure: Bool

    init(api: API, secure: Bool) throws {
        (self.api, self.secure) = (api, secure)
        pages = try ConsolePages()
    }

    func register(on router: Router<APIContext>) {
        router.get("/") { _, _ in Self.redirect("/clusters") }
        router.get("/console/console.css") { _, _ in Self.asset(PackageResources.console_css, type: "text/css; charset=utf-8") }
        router.get("/console/console.js") { _, _ in Self.asset(PackageResources.console_js, type: "text/javascript; charset=utf-8") }
        router.get("/signin") { request, _ in
            (try? session(request)) != nil ? Self.redirect("/clusters") : signInPage(problem: nil, status: .ok)
        }
        router.post("/signin") { request, context in await signIn(request, context) }
        router.post("/signout") { request, context in await signedIn(request, context, form: true) { session, _ in
            try api.store.closeConsoleSession(session)
            var response = Self.redirect("/signin")
            response.headers[.setCookie] = cookie("", maxAge: 0)
            return response
        } }
        router.get("/clusters") { request, context in await signedIn(request, context) { session, _ in
            try await clusters(session)
        } }
        router.get("/clusters/:cluster") { request, context in await signedIn(request, context) { session, _ in
            try await cluster(context.parameters.get("cluster") ?? "", session)
        } }
        router.get("/clusters/:cluster/events") { request, context in await signedIn(request, context) { session, _ in
            try await events(context.parameters.get("cluster") ?? "", filters: Self.query(request), session)
        } }
        router.get("/clusters/:cluster/events/stream") { request, context in await signedIn(request, context) { session, _ in
            try await eventStream(context.parameters.get("cluster") ?? "", query: Self.query(request), session)
        } }
        router.get("/clusters/:cluster/deploys") { request, context in await signedIn(request, context) { session, _ in
            try await deploys(context.parameters.get("cluster") ?? "", after: Self.query(request)["after"].flatMap { Int64($0) }, session)
        } }
        router.get("/clusters/:cluster/graphs") { request, context in await signedIn(request, context) { session, _ in
            try await graphs(context.parameters.get("cluster") ?? "", query: Self.query(request), session)
        } }
        router.get("/clusters/:cluster/usage") { request, context in await signedIn(request, context) { session, _ in
            try await usage(context.parameters.get("cluster") ?? "", month: Self.query(request)["month"], session)
        } }
        router.get("/users") { request, context in await signedIn(request, context) { session, _ in try await users(session) } }
        router.post("/users") { request, context in await signedIn(request, context, form: true) { session, form in
            try await addUser(form: form, session)
        } }
        router.post("/users/:user/grants") { request, context in await signedIn(request, context, form: true) { session, form in
            try await grant(user: context.parameters.get("user") ?? "", form: form, session)
        } }
        router.post("/users/:user/remove") { request, context in await signedIn(request, context, form: true) { session, _ in
            try await removeUser(context.parameters.get("user") ?? "", session)
        } }
        router.get("/clusters/:cluster/plan") { request, context in await signedIn(request, context) { session, _ in
            try await plan(context.parameters.get("cluster") ?? "", session)
        } }
        router.post("/clusters/:cluster/run") { request, context in await signedIn(request, context, form: true) { session, _ in
            try await runRecipe(context.parameters.get("cluster") ?? "", session)
        } }
        router.post("/clusters/:cluster/clone") { request, context in await signedIn(request, context, form: true) { session, form in
            try await clone(cluster: context.parameters.get("cluster") ?? "", form: form, session)
        } }
        router.post("/clusters/:cluster/instances/:instance/:action") { request, context in await signedIn(request, context, form: true) { session, _ in
            try await instanceAction(context.parameters.get("action") ?? "", cluster: context.parameters.get("cluster") ?? "",
                                     instance: context.parameters.get("instance") ?? "", session)
        } }
        router.post("/clusters/:cluster/volumes/:volume/snapshot") { request, context in await signedIn(request, context, form: true) { session, _ in
            try await snapshot(cluster: context.parameters.get("cluster") ?? "", volume: context.parameters.get("volume") ?? "", session)
        } }
        router.post("/clusters/:cluster/apps/:app/deploy") { request, context in await signedIn(request, context, form: true) { session, form in
            try await deploy(cluster: context.parameters.get("cluster") ?? "", app: context.parameters.get("app") ?? "", form: form, session)
        } }
        router.post("/clusters/:cluster/apps/:app/rollback") { request, context in await signedIn(request, context, form: true) { session, _ in
            try await rollback(cluster: context.parameters.get("cluster") ?? "", app: context.parameters.get("app") ?? "", session)
        } }
        router.post("/clusters/:cluster/layers/:layer/scale") { request, context in await signedIn(request, context, form: true) { session, form in
            try await scale(cluster: context.parameters.get("cluster") ?? "", layer: context.parameters.get("layer") ?? "", form: form, session)
        } }
    }

    /// The signed-in person's request: no session sends them to sign in; a form must carry the
    /// session's CSRF token (compared in constant time), or nothing happens.
    private func signedIn(_ request: Request, _ context: APIContext, form: Bool = false,
                          _ handle: (ConsoleSession, ConsoleForm) async throws -> Response) async -> Response {
        var request = request
        guard let found = try? session(request) else { return Self.redirect("/signin") }
        var fields = ConsoleForm(fields: [:])
        if form {
            guard let body = try? await request.collectBody(upTo: 64 << 10) else { return problem(400, "the form is too large", found) }
            fields = ConsoleForm(urlEncoded: String(buffer: body))
            guard let csrf = fields["csrf"], Digest.constantTimeEqual(Data(csrf.utf8), Data(found.csrf.utf8)) else {
                return problem(403, "the form's CSRF token is not this session's: reload the page and try again", found)
            }
        }
        do {
            return try await handle(found, fields)
        } catch let refusal as APIProblem {
            return problem(refusal.status, refusal.message, found)
        } catch {
            return problem(500, "\(error)", found)
        }
    }

    /// The session the request's cookie names, still good.
    func session(_ request: Request) throws -> ConsoleSession? {
        guard let secret = Self.cookieValue(request, name: Self.cookieName),
              case .success(let found) = try api.store.consoleSession(secret) else { return nil }
        return found
    }

    /// The sign-in form with a token of its own, also set as a cookie only this site sends back
    /// (SameSite=Strict): another site cannot post a sign-in (login CSRF), having neither.
    private func signInPage(problem: String?, status: HTTPResponse.Status) -> Response {
        let csrf = TokenSecret.generate(prefix: "")
        var response = page(pages.signIn(problem: problem, csrf: csrf), status: status)
        response.headers[.setCookie] = "\(Self.signInCookie)=\(csrf); Path=/signin; Max-Age=3600; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
        return response
    }

    private func signIn(_ request: Request, _ context: APIContext) async -> Response {
        var request = request
        guard let body = try? await request.collectBody(upTo: 16 << 10) else { return signInPage(problem: "the form is too large", status: .badRequest) }
        let form = ConsoleForm(urlEncoded: String(buffer: body))
        guard let expected = Self.cookieValue(request, name: Self.signInCookie), let sent = form["csrf"],
              Digest.constantTimeEqual(Data(sent.utf8), Data(expected.utf8)) else {
            return signInPage(problem: "This sign-in form is not one this console gave you (or it is old): try again.", status: .forbidden)
        }
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            switch try api.store.openConsoleSession(token: token) {
            case .failure(let failure):
                return signInPage(problem: "That token opens nothing: \(failure.reason).", status: .unauthorized)
            case .success(let opened):
                var response = Self.redirect("/clusters")
                response.headers[.setCookie] = cookie(opened.secret, maxAge: Int(Store.consoleSessionHours * 3600))
                return response
            }
        } catch {
            return signInPage(problem: "\(error)", status: .internalServerError)
        }
    }

    static let cookieName = "recipe_session"
    static let signInCookie = "recipe_signin"

    static func query(_ request: Request) -> [String: String] {
        Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { _, last in last })
    }

    private func cookie(_ value: String, maxAge: Int) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    static func cookieValue(_ request: Request, name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }

    static func redirect(_ location: String) -> Response {
        var response = Response(status: .seeOther)
        response.headers[.location] = location
        return response
    }

    func page(_ html: String, status: HTTPResponse.Status) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        response.headers[.cacheControl] = "no-store"
        // nothing but this controller's own files: no inline script, no frames, no other origin
        response.headers[.contentSecurityPolicy] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        return response
    }

    func problem(_ status: Int, _ message: String, _ session: ConsoleSession?) -> Response {
        page(pages.problem(status: status, message: message, session: session), status: HTTPResponse.Status(code: status))
    }

    private static func asset(_ bytes: [UInt8], type: String) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        response.headers[.contentType] = type
        response.headers[.cacheControl] = "max-age=3600"
        return response
    }
}
