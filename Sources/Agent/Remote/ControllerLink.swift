import CCurl
import Cloud
import Foundation

/// The remote agent's link to its controllers' `/agent/v1` routes: blocking JSON calls through
/// libcurl (HTTP or HTTPS), one connection each, from the agent's own threads; when the
/// controller it talks to stops answering, the next of the list (`--controller A,B`).
final class ControllerLink: Sendable {
    struct Answer {
        let status: Int
        let body: Data
    }

    /// The controllers' base URLs (`https://10.0.0.2:7070`): several `recipe serve`s of one state,
    /// any of which answers the agents' routes.
    let bases: [String]
    /// A PEM file that vouches for the controllers' certificates (their own, say).
    let caFile: String?
    /// The agent's token, once it registered.
    let token = Locked<String?>(nil)
    /// Which of `bases` answered last: calls go there first.
    private let current = Locked<Int>(0)

    /// Opens libcurl (once per process, before any other thread asks). `bases`: one URL, or
    /// several separated by commas.
    init(bases list: String, caFile: String?) throws {
        bases = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        guard !bases.isEmpty else { throw CloudError("--controller names no URL") }
        self.caFile = caFile
        var error = [CChar](repeating: 0, count: 256)
        guard cc_global_init(&error, error.count) == 0 else {
            throw CloudError(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// The controller calls go to now.
    var base: String { bases[current.withLock { $0 }] }

    /// One request, to the controller that answered last, then to each other in turn while none
    /// answers; throws when none did (every controller down, timeouts). Every call of the agent
    /// may be sent again: a beat, a report or an outcome that got no answer is sent with the next
    /// anyway, and the controllers keep one state, so whichever gets it knows what it means.
    func call(_ method: String, _ path: String, body: Data? = nil, timeout: Double = 15) throws -> Answer {
        let first = current.withLock { $0 }
        var failures: [String] = []
        for step in 0..<bases.count {
            let index = (first + step) % bases.count
            do {
                let answer = try request(method, bases[index] + path, body: body, timeout: timeout)
                if index != first { current.withLock { $0 = index } }
                return answer
            } catch {
                failures.append("\(error)")
            }
        }
        throw CloudError(failures.joined(separator: "; "))
    }

    private func request(_ method: String, _ url: String, body: Data?, timeout: Double) throws -> Answer {
        var response = cc_response()
        defer { cc_free(&response) }
        let bearer = token.withLock { $0 }
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
            throw CloudError("\(method) \(url): \(reason)")
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
