import Controller
import Engine
import Foundation
import Testing

/// The committed OpenAPI document and the router are one: every route it serves is in the
/// document with the same method and path, every operation of the document is served, and only
/// the document itself is open without a token.
@Suite struct APIDocumentTests {
    struct Operation: Hashable, CustomStringConvertible {
        var method: String
        var path: String
        var description: String { "\(method.uppercased()) \(path)" }
    }

    func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
    }

    func api() throws -> (API, Fixture) {
        let fixture = try Fixture()
        return (API(store: fixture.store, makeEngine: { Engine(store: fixture.store, registry: fixture.registry, actor: $0) }), fixture)
    }

    @Test func everyRouteIsDocumentedAndEveryOperationIsServed() throws {
        let (api, fixture) = try api()
        defer { fixture.cleanup() }
        let doc = try document()
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { Operation(method: $0, path: path) } })
        let served = Set(api.routes.map { Operation(method: $0.method.rawValue.lowercased(), path: $0.path) })
        #expect(served.subtracting(documented).isEmpty, "served but not in openapi.json: \(served.subtracting(documented).sorted { $0.description < $1.description })")
        #expect(documented.subtracting(served).isEmpty, "in openapi.json but not served: \(documented.subtracting(served).sorted { $0.description < $1.description })")
        #expect(api.routes.count == served.count, "a route is registered twice")
    }

    @Test func onlyTheDocumentIsOpenAndEveryOtherOperationSaysItsRefusals() throws {
        let (api, fixture) = try api()
        defer { fixture.cleanup() }
        let paths = try #require(try document()["paths"] as? [String: [String: [String: Any]]])
        for route in api.routes {
            let operation = try #require(paths[route.path]?[route.method.rawValue.lowercased()])
            let open = (operation["security"] as? [Any])?.isEmpty == true
            if case .open = route.guarding { #expect(open, "\(route.path) is open but the document asks a token") } else {
                #expect(!open, "\(route.method) \(route.path) needs a token but the document says it is open")
                let responses = try #require(operation["responses"] as? [String: Any])
                #expect(responses["401"] != nil, "\(route.method) \(route.path) documents no 401")
                if case .action = route.guarding { #expect(responses["403"] != nil, "\(route.method) \(route.path) documents no 403") }
            }
            // every path parameter the route reads is declared
            let declared = Set(((operation["parameters"] as? [[String: Any]]) ?? []).filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String })
            let inPath = Set(route.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            #expect(declared == inPath, "\(route.method) \(route.path): path parameters \(inPath.sorted()) vs declared \(declared.sorted())")
        }
    }

    @Test func everySchemaReferenceResolves() throws {
        let doc = try document()
        let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let text = String(decoding: Data(OpenAPIDocument.bytes), as: UTF8.self)
        let refs = text.components(separatedBy: "\"#/components/schemas/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(!refs.isEmpty)
        for name in Set(refs) { #expect(schemas[name] != nil, "#/components/schemas/\(name) is referenced but not defined") }
    }
}
