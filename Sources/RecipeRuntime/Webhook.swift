import Cloud
import Engine
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs JSON to a webhook (alerts). The URL may carry a token, so only its scheme and host are
/// ever written to events or output.
enum Webhook {
    static func post(_ url: URL, json: JSONValue, timeout: Double = 10) async throws {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        request.httpBody = try encoder.encode(json)
        let response: URLResponse
        let sent = request
        do {
            (_, response) = try await bounded(timeout, timeout: URLError(.timedOut)) { try await URLSession.shared.data(for: sent) }
        } catch {
            throw CloudError("webhook \(redacted(url)): \(error.localizedDescription)")
        }
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            throw CloudError("webhook \(redacted(url)) answered HTTP \(http.statusCode)")
        }
    }

    /// What an alert was about, for the event log: its kind and subject.
    static func summary(_ body: JSONValue) -> String {
        guard case .object(let o) = body else { return "" }
        return ["kind", "cluster", "subject"].compactMap { key -> String? in
            if case .string(let s) = o[key] { return s }
            return nil
        }.joined(separator: " ")
    }

    /// scheme://host[:port]/…, without user, password, path or query.
    static func redacted(_ url: URL) -> String {
        "\(url.scheme ?? "?")://\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")/…"
    }
}
