import Foundation
import LuaKit
import RecipeRuntime
import Testing

/// A bad field is reported at the line where it is written, however the constructor around it is
/// spelled: comments, long strings, bracketed keys, hook functions with commas and tables inside.
@Suite struct FieldLineTests {
    static let cases: [LuaBindingTests.Case] = [
        LuaBindingTests.Case(name: "tricky", source: """
            local on_setup = function(e) local t = { a = 1, b = { 2 } } if t.a then return end end
            cluster "shop" { provider = "memory", -- a { brace in a comment
              attributes = { motd = [[a long { string,
                with lines ]] },
              layers = {
                --[==[ a long comment
                  layers = { web = { count = 1 } } ]==]
                ["web-2"] = { on = { setup = function(e)
                                        for i = 1, 2 do log.info("%d, %s", i, "}") end
                                      end },
                              count = 1,
                              image = 42 },
              },
            }
            """, line: 12, says: "layer web-2: image must be a string, got number"),
        LuaBindingTests.Case(name: "second", source: """
            cluster "one" { provider = "memory", layers = { web = { count = 1 } } }
            cluster("two")({ provider = "memory",
              layers = { web = { count = 1, services = { http = { command = "serve",
                                                                  port = 0 } } } } })
            """, line: 4, says: "layer web: service http: port must be between 1 and 65535, got 0"),
        LuaBindingTests.Case(name: "list-entry", source: """
            cluster "shop" { provider = "memory",
              apps = { shop = { start = "serve" } },
              layers = { web = { apps = { "shop",
                                          "shp" } } },
            }
            """, line: 4, says: "layer web: app 'shp' is not declared in the cluster's apps"),
    ]

    @Test(arguments: cases)
    func aBadFieldIsReportedWhereItIsWritten(_ c: LuaBindingTests.Case) async throws {
        try await LuaBindingTests().errorsNameTheRecipeFileAndLine(c)
    }
}
