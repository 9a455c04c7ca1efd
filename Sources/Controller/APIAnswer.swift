import Cloud
import Foundation
import Hummingbird

/// What a handler gives back: a JSON document (with its status), or a response built by hand
/// (the event stream, the OpenAPI document's own bytes).
enum APIAnswer: Sendable {
    case json(Data, status: HTTPResponse.Status)
    case response(Response)

    static func document<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> APIAnswer {
        .json(try JSONDocument.encode(value), status: status)
    }

    var response: Response {
        switch self {
        case .json(var data, let status):
            data.append(0x0a)  // as the CLI prints it: the document, then a newline
            var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(bytes: data)))
            response.headers[.contentType] = "application/json"
            return response
        case .response(let response):
            return response
        }
    }
}
