import Foundation
import Cloud
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The AWS Query protocol (EC2, IAM, CloudWatch): signed form POSTs, XML answers, retries with
/// exponential backoff and full jitter on throttling, 5xx and connection errors.
public struct QueryClient: Sendable {
    public let endpoint: URL
    public let version: String
    public let signer: SigV4
    public let calls: CallLog
    public var maxAttempts = 8
    public var timeout: Double = 30
    /// Base of the backoff: attempt n waits a random time up to base × 2^n (capped at 5 s).
    public var backoffBase = 0.1

    public init(endpoint: URL, version: String, signer: SigV4, calls: CallLog = CallLog()) {
        self.endpoint = endpoint
        self.version = version
        self.signer = signer
        self.calls = calls
    }

    /// Where errors point: scheme, host and port, never keys.
    public var endpointName: String {
        "\(endpoint.scheme ?? "https")://\(endpoint.host ?? "?")" + (endpoint.port.map { ":\($0)" } ?? "")
    }

    /// Calls `action` with `parameters` and returns the response document's root.
    public func call(_ action: String, _ parameters: [(String, String)] = []) async throws -> XMLNode {
        var lastError: AWSError = .unreachable(endpoint: endpointName, action: action, attempts: 0, reason: "not tried")
        for attempt in 0..<maxAttempts {
            if attempt > 0 {
                let ceiling = min(5, backoffBase * pow(2, Double(attempt)))
                try await Task.sleep(nanoseconds: UInt64(Double.random(in: 0...ceiling) * 1e9))
            }
            do {
                return try await send(action, parameters)
            } catch let error as AWSError where error.isRetryable {
                calls.retried(action)
                lastError = error
            }
        }
        if case .unreachable(_, _, _, let reason) = lastError {
            throw AWSError.unreachable(endpoint: endpointName, action: action, attempts: maxAttempts, reason: reason)
        }
        throw lastError
    }

    private func send(_ action: String, _ parameters: [(String, String)]) async throws -> XMLNode {
        // Spaces as '+', as HTML forms and Python's urlencode write them: servers that re-encode the
        // body to check the signature (moto does) then hash the same bytes.
        let form = ([("Action", action), ("Version", version)] + parameters)
            .map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let body = Data(form.utf8)
        var request = URLRequest(url: endpoint, timeoutInterval: timeout)
        request.httpMethod = "POST"
        let host = (endpoint.host ?? "") + (endpoint.port.map { ":\($0)" } ?? "")
        let headers = ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Host": host]
        let signed = signer.sign(method: "POST", path: endpoint.path.isEmpty ? "/" : endpoint.path, query: [],
                                 headers: headers, body: body, date: Date())
        for (key, value) in headers.merging(signed, uniquingKeysWith: { $1 }) { request.setValue(value, forHTTPHeaderField: key) }
        request.httpBody = body
        calls.sent(action)
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await Self.fetch(request, within: timeout)
        } catch {
            throw AWSError.unreachable(endpoint: endpointName, action: action, attempts: 1, reason: error.localizedDescription)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard let root = XMLNode.parse(data) else {
            if status >= 500 {
                throw AWSError.api(endpoint: endpointName, action: action, code: "ServiceUnavailable", message: "HTTP \(status)", status: status)
            }
            throw AWSError.malformed(endpoint: endpointName, action: action, reason: "HTTP \(status), \(data.count) bytes")
        }
        // <Response><Errors><Error><Code> (EC2) or <ErrorResponse><Error><Code> (IAM, CloudWatch)
        if let error = root.all("Error").first, let code = error.string("Code") {
            throw AWSError.api(endpoint: endpointName, action: action, code: code, message: error.string("Message") ?? "", status: status)
        }
        guard (200..<300).contains(status) else {
            throw AWSError.malformed(endpoint: endpointName, action: action, reason: "HTTP \(status) without an error code")
        }
        return root
    }

    /// The request, or a timeout error once `seconds` have passed, whatever the URL loading
    /// system does with a server that accepted and went silent (see `bounded`).
    static func fetch(_ request: URLRequest, within seconds: Double) async throws -> (Data, URLResponse) {
        try await bounded(seconds, timeout: URLError(.timedOut)) { try await URLSession.shared.data(for: request) }
    }

    static func formEncode(_ s: String) -> String {
        SigV4.encode(s).replacingOccurrences(of: "%20", with: "+")
    }

    /// Follows NextToken until the last page, calling `page` with each response.
    public func paginate(_ action: String, _ parameters: [(String, String)], _ page: (XMLNode) throws -> Void) async throws {
        var token: String?
        repeat {
            let response = try await call(action, parameters + (token.map { [("NextToken", $0)] } ?? []))
            try page(response)
            token = response.string("nextToken").flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
    }
}

/// Counts the calls made (and retried), by action: figures for plans, tests and benchmarks.
public final class CallLog: Sendable {
    private struct Counts {
        var sentByAction: [String: Int] = [:]
        var retries = 0
    }
    private let counts = Locked(Counts())

    public init() {}

    func sent(_ action: String) { counts.withLock { $0.sentByAction[action, default: 0] += 1 } }
    func retried(_ action: String) { counts.withLock { $0.retries += 1 } }

    /// Calls that reached the wire, retries included.
    public var total: Int { byAction.values.reduce(0, +) }
    public var retried: Int { counts.value.retries }
    public var byAction: [String: Int] { counts.value.sentByAction }

    /// Calls whose action changes something (not Describe*, Get*, List*).
    public var mutating: Int {
        byAction.filter { !["Describe", "Get", "List"].contains(where: $0.key.hasPrefix) }.values.reduce(0, +)
    }
}
