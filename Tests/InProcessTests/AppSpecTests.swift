import Engine
import Foundation
import Testing

/// Apps are parsed once, recorded in the shape a recipe writes, and read back through the same parser.
@Suite struct AppSpecTests {
    @Test func anUnknownFieldIsNamedWithTheKnownOnes() {
        #expect(throws: (any Error).self) { try AppSpec(name: "shop", json: .object(["start": .string("x"), "prot": .int(80)])) }
        do {
            _ = try AppSpec(name: "shop", json: .object(["start": .string("x"), "prot": .int(80)]))
        } catch {
            #expect("\(error)".contains("unknown field 'prot'") && "\(error)".contains("port"))
        }
    }

    @Test func aDeclarationRoundTripsWithItsAppsNamed() throws {
        var spec = memorySpec(layers: [LayerSpec(name: "web", count: 1)],
                              apps: ["shop": app("shop", ["source": "git+file:app", "ref": "v2", "start": "python3 server.py"])])
        spec.apps["shop"]?.env = ["MODE": "prod"]
        let decoded = try JSONDecoder().decode(ClusterSpec.self, from: try JSONEncoder().encode(spec))
        #expect(decoded == spec)
        #expect(decoded.apps["shop"]?.name == "shop" && decoded.apps["shop"]?.env == ["MODE": "prod"])
    }

    @Test func anAppRecordedByAnEarlierVersionReadsAsTheSameDeclaration() throws {
        // earlier versions recorded the table as written, defaults left out
        let recorded = """
            {"name":"shop","provider":"memory","providerOptions":{},"layers":[],"firewall":[],"users":[],
             "apps":{"shop":{"start":"python3 server.py","port":8000}},"attributes":{}}
            """
        let decoded = try JSONDecoder().decode(ClusterSpec.self, from: Data(recorded.utf8))
        #expect(decoded.apps["shop"] == app("shop", ["start": "python3 server.py"]), "so upgrading redeploys nothing")
        #expect(decoded.apps["shop"]?.ref == "main" && decoded.apps["shop"]?.keep == 5)
    }
}
