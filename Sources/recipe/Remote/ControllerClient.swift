import Cloud
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The controller's API (`recipe serve`) as the CLI calls it when RECIPE_URL is set: one JSON
/// request, its answer's bytes on success, and a refusal as the server worded it. The token goes
/// in the Authorization header and nowhere else: never into a message, a log or an error.
struct ControllerClient: Sendable {
    /// `http://host:port` without `/api/v1` or a trailing slash: how messages name the controller.
    let url: String
    let token: String?
    /// Other controllers of the same state (RECIPE_URL=A,B): asked in turn when one cannot be reached.
    var alternates: [String] = []

    /// Reads take seconds; a change (a deploy, a run) sends nothing until it is done, minutes
    /// later. URLSession's timeout is the wait between bytes, so changes get a long one; nothing
    /// is ever cancelled (cancelling a URLSession task can deadlock on Linux).
    static let readTimeout: TimeInterval = 300
    static let changeTimeout: TimeInterval = 24 * 3600

    init(url: String, token: String?) throws {
        self.url = try Self.normalized(url)
        self.token = token
    }

    /// `http://h:7070/api/v1/` (as `recipe serve` prints it) → `http://h:7070`.
    static func normalized(_ text: String) throws -> String {
        var url = text.trimmingCharacters(in: .whitespaces)
        while url.hasSuffix("/") { url.removeLast() }
        if url.hasSuffix("/api/v1") { url.removeLast("/api/v1".count) }
        guard let parts = URLComponents(string: url), ["http", "https"].contains(parts.scheme ?? ""), parts.host?.isEmpty == false,
              parts.query == nil else {
            throw ControllerFailure("'\(text)' is not the URL of a controller, such as http://127.0.0.1:7070")
        }
        return url
    }

    // MARK: requests

    /// A path segment taken as typed (a token's id): escaped, so it stays one segment.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func get(_ path: String, _ query: [String: String?] = [:]) async throws -> Data {
        try await send("GET", path, query)
    }

    /// `METHOD /api/v1/PATH?QUERY` with `body` as JSON; the answer's bytes when it is a 2xx. A
    /// controller that cannot be reached hands the call to the next of `alternates`: a read on
    /// any failure, a change only when the connection was refused (nothing was sent, so nothing
    /// can have happened twice).
    func send(_ method: String, _ path: String, _ query: [String: String?] = [:], body: (any Encodable & Sendable)? = nil) async throws -> Data {
        var failures: [ControllerFailure] = []
        for client in [self] + alternates.map({ ControllerClient(primary: $0, token: token) }) {
            var request = try client.request(method, path, query)
            if let body {
                request.httpBody = try JSONDocument.encode(body, pretty: false)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response): (Data, URLResponse)
            do {
                (data, response) = try await URLSession.shared.data(for: request)
            } catch {
                failures.append(client.unreachable(error))
                let refused = (error as? URLError)?.code == .cannotConnectToHost
                if method == "GET" || refused { continue }
                break
            }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard (200..<300).contains(status) else { throw client.refusal(status, data) }
            return data
        }
        guard failures.count > 1 else { throw failures[0] }
        throw ControllerFailure(failures.map(\.message).joined(separator: "; "))
    }

    private init(primary: String, token: String?) { (url, self.token) = (primary, token) }

    /// The answer decoded as `T`: the Engine's and Store's own Codable documents.
    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do {
            return try JSONDocument.decoder().decode(T.self, from: data)
        } catch {
            throw ControllerFailure("the controller at \(url) answered a document this recipe cannot read (\(error)); is it the same version?")
        }
    }

    func request(_ method: String, _ path: String, _ query: [String: String?]) throws -> URLRequest {
        guard var parts = URLComponents(string: url + "/api/v1/" + path) else { throw ControllerFailure("'\(path)' is not a path of the API") }
        let items = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }.sorted { $0.name < $1.name }
        if !items.isEmpty { parts.queryItems = items }
        // `+` means a space in a query: a count such as +2 keeps its sign
        parts.percentEncodedQuery = parts.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let target = parts.url else { throw ControllerFailure("'\(path)' is not a path of the API") }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.timeoutInterval = method == "GET" ? Self.readTimeout : Self.changeTimeout
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    // MARK: failures

    /// The answer `{"status": N, "error": "…"}` as one line: the server's words, as the local
    /// command would print them; a 401 also says how to get a token.
    func refusal(_ status: Int, _ data: Data) -> ControllerFailure {
        struct Problem: Decodable { var status: Int, error: String }
        guard let problem = try? JSONDecoder().decode(Problem.self, from: data) else {
            let text = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return ControllerFailure("the controller at \(url) answered HTTP \(status)" + (text.isEmpty ? "" : ": \(text)"), status: status)
        }
        guard status == 401 else { return ControllerFailure(problem.error, status: status) }
        let how = token == nil
            ? "no token: set RECIPE_TOKEN or run `recipe login \(url)`"
            : "the controller at \(url) refused the token: \(problem.error)"
        return ControllerFailure("\(how) (an admin makes one with `recipe token create USER`)", status: 401)
    }

    func unreachable(_ error: any Error) -> ControllerFailure {
        let reason: String
        if let error = error as? URLError {
            switch error.code {
            case .cannotConnectToHost: reason = "connection refused"
            case .cannotFindHost, .dnsLookupFailed: reason = "no such host"
            case .timedOut: reason = "no answer in time"
            case .networkConnectionLost: reason = "the connection was lost before the answer"
            case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
                 .serverCertificateHasUnknownRoot, .clientCertificateRejected:
                reason = "TLS failed: \(error.localizedDescription)"
            default: reason = error.localizedDescription
            }
        } else {
            reason = "\(error)"
        }
        return ControllerFailure("cannot reach the controller at \(url): \(reason)")
    }
}

/// A call the controller refused, or could not be made: printed as one line, and the command exits 1.
struct ControllerFailure: Error, CustomStringConvertible {
    let message: String
    /// The HTTP status when the controller answered (401, 403, 404, …).
    var status: Int?

    init(_ message: String, status: Int? = nil) {
        self.message = message
        self.status = status
    }

    var description: String { message }
}
