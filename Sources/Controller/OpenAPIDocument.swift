import Foundation
import Hummingbird

/// The committed OpenAPI 3.1 document (Sources/Controller/openapi.json), built into the binary
/// and served as it is at `/api/v1/openapi.json`. `APIDocumentTests` holds it against `API.routes`.
public enum OpenAPIDocument {
    public static var bytes: [UInt8] { PackageResources.openapi_json }

    static var response: Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        response.headers[.contentType] = "application/json"
        return response
    }
}
