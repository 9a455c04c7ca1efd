import Cloud
import Foundation
import Store

/// One event as a Server-Sent Event: `id` (for reconnecting), `event` (its kind), `data` (the
/// event as `recipe events --json` prints it, on one line).
enum ServerSentEvent {
    static func encode(_ event: Event) throws -> Data {
        var text = "id: \(event.id ?? 0)\nevent: \(event.kind)\ndata: "
        text += String(decoding: try JSONDocument.encode(event, pretty: false), as: UTF8.self)
        text += "\n\n"
        return Data(text.utf8)
    }
}
