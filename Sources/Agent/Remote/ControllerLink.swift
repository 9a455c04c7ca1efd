import CCurl
import Cloud
import Foundation

/// The remote agent's link to its controller's `/agent/v1` routes: blocking JSON calls through
/// libcurl (HTTP or HTTPS), one connection each, from the agent's own threads.
final class ControllerLink: Sendable {
    struct Answer {
        let status: Int
        let body: Data
    }

    /// The controller's base URL (`https://10.0.0.2:7070`).
    let base: String
    /// A PEM file that vouches for the controller's certificate (one of its own, say).
    let caFile: String?
    /// The agent's token, once it registered.
    let token = Locked<String?>(nil)

    /// Opens libcurl (once per process, before any other thread asks).
    init(base: String, caFile: String?) throws {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.caFile = caFile
        var error = [CChar](repeating: 0, count: 256)
        guard cc_global_init(&error, error.count) == 0 else {
            throw CloudError(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// One request; throws when no answer came (the controller down, a timeout).
    func call(_ method: String, _ path: String, body: Data? = nil, timeout: Double = 15) throws -> Answer {
        var response = cc_response()
        defer { cc_free(&response) }
        let bearer = token.withLock { $0 }
        let url = base + path
        let code: Int32
        if let body, !body.isEmpty {
            code = body.withUnsafeBytes { bytes in
                cc_request(method, url, bearer, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, timeout, caFile, &response)
            }
        } else {
            code = cc_request(method, url, bearer, body == nil ? nil : "", 0, timeout, caFile, &response)
        }
        guard code == 0 else {
            let reason = withUnsafeBytes(of: response.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw CloudError("\(method) \(base + path): \(reason)")
        }
        let data = response.body.map { Data(bytes: $0, count: response.length) } ?? Data()
        return Answer(status: response.status, body: data)
    }

    /// A JSON call whose answer must be 2xx; the controller's error text otherwise.
    func send<Body: Encodable>(_ method: String, _ path: String, _ body: Body, timeout: Double = 15) throws -> Answer {
        let answer = try call(method, path, body: try JSONDocument.encode(body, pretty: false), timeout: timeout)
        guard (200..<300).contains(answer.status) else { throw Refusal(status: answer.status, answer: answer.body, what: "\(method) \(path)") }
        return answer
    }

    /// The controller said no (a 4xx or 5xx), in its own words.
    struct Refusal: Error, CustomStringConvertible {
        let status: Int
        let answer: Data
        let what: String
        var description: String {
            let error = (try? JSONSerialization.jsonObject(with: answer) as? [String: Any])?["error"] as? String
            return "\(what): \(status) \(error ?? String(decoding: answer.prefix(200), as: UTF8.self))"
        }
    }
}
