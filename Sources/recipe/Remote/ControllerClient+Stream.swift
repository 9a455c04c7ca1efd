import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The API's live streams (`text/event-stream`): each Server-Sent Event as it arrives.
extension ControllerClient {
    /// One event of the stream: its `id`, its `event` name and its `data` (lines joined by `\n`).
    struct StreamEvent: Sendable {
        var id: String?
        var event: String?
        var data: String
    }

    /// Calls `body` with each event until the server ends the stream (a `limit`) or the process
    /// ends (`--follow` runs until it is interrupted). Nothing is cancelled midway: see `changeTimeout`.
    func stream(_ path: String, _ query: [String: String?] = [:], _ body: (StreamEvent) throws -> Void) async throws {
        var request = try self.request("GET", path, query)
        request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        request.timeoutInterval = Self.changeTimeout  // a quiet cluster sends only keep-alives
        let reader = StreamReader()
        let session = URLSession(configuration: .default, delegate: reader, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        var status = 0
        var pending = Data()
        var parser = StreamParser()
        do {
            for try await piece in reader.pieces {
                switch piece {
                case .status(let code):
                    status = code
                case .bytes(let data) where (200..<300).contains(status):
                    for event in parser.feed(data) { try body(event) }
                case .bytes(let data):
                    pending.append(data)
                }
            }
        } catch let failure as ControllerFailure {
            throw failure
        } catch {
            throw unreachable(error)
        }
        if !(200..<300).contains(status) { throw refusal(status, pending) }
    }
}

/// URLSession's delegate for one streamed answer: its status, then its bytes as they come.
private final class StreamReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Piece: Sendable {
        case status(Int)
        case bytes(Data)
    }

    let pieces: AsyncThrowingStream<Piece, any Error>
    private let continuation: AsyncThrowingStream<Piece, any Error>.Continuation

    override init() {
        (pieces, continuation) = AsyncThrowingStream.makeStream(of: Piece.self)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        continuation.yield(.status((response as? HTTPURLResponse)?.statusCode ?? 0))
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        continuation.yield(.bytes(data))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        continuation.finish(throwing: error)
    }
}

/// The `text/event-stream` format: `field: value` lines, an empty line ends an event, a line
/// starting with `:` is a comment (the server's keep-alives).
struct StreamParser {
    private var buffer = Data()
    private var current = ControllerClient.StreamEvent(data: "")
    private var hasData = false

    /// The events `data` completes (bytes of a line cut in two wait for the rest).
    mutating func feed(_ data: Data) -> [ControllerClient.StreamEvent] {
        buffer.append(data)
        var events: [ControllerClient.StreamEvent] = []
        while let newline = buffer.firstIndex(of: 0x0a) {
            var line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex...newline)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if hasData { events.append(current) }
                current = ControllerClient.StreamEvent(data: "")
                hasData = false
                continue
            }
            if line.hasPrefix(":") { continue }
            let (field, value) = Self.split(line)
            switch field {
            case "id": current.id = value
            case "event": current.event = value
            case "data":
                current.data = hasData ? current.data + "\n" + value : value
                hasData = true
            default: break
            }
        }
        return events
    }

    static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.hasPrefix(" ") { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}
