import Foundation
import Testing
@testable import LuaKit

@Suite struct LuaVMTests {
    @Test func returnsValuesFromARecipe() async throws {
        let vm = try LuaVM()
        let results = try await vm.run(source: "return 1 + 2, 'x', {a = 1, 2, 3}", chunkName: "@t.lua")
        #expect(results == [.int(3), .string("x"), .table(LuaTable(array: [2, 3], fields: ["a": 1]))])
    }
}
