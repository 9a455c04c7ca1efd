import Cookbooks
import Testing

/// The ranges a dependency may name, as Cargo and npm read them.
@Suite struct VersionRangeTests {
    func v(_ text: String) -> SemanticVersion { SemanticVersion(text)! }

    @Test(arguments: [
        ("^1.2", ["1.2.0", "1.9.9"], ["1.1.9", "2.0.0"]),
        ("^1", ["1.0.0", "1.5.2"], ["0.9.0", "2.0.0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0", "0.2.2"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
        ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
        ("1.2.3", ["1.2.3"], ["1.2.4"]),
        ("=1.2.3", ["1.2.3"], ["1.2.4"]),
        (">=1.0, <1.5", ["1.0.0", "1.4.9"], ["1.5.0", "0.9.9"]),
        (">1.0.0", ["1.0.1"], ["1.0.0"]),
        ("<=2", ["2.0.0", "1.0.0"], ["2.0.1"]),
        ("*", ["0.0.1", "9.9.9"], ["1.0.0-rc.1"]),
        ("^1.0", ["1.1.0"], ["1.2.0-beta"]),
        ("=2.0.0-rc.1", ["2.0.0-rc.1"], ["2.0.0"]),
    ])
    func aRangeTakesWhatItShould(range: String, accepts: [String], refuses: [String]) throws {
        let parsed = try VersionRange(range)
        for version in accepts { #expect(parsed.contains(v(version)), "\(range) takes \(version)") }
        for version in refuses { #expect(!parsed.contains(v(version)), "\(range) refuses \(version)") }
    }

    @Test(arguments: ["", "^", "1.2", "^x", ">=1.2.3.4", "latest"])
    func aBadRangeIsRefusedWithWhatIsWanted(range: String) {
        #expect(throws: CookbookError.self) { try VersionRange(range) }
    }

    @Test func versionsOrderAsSemverSays() {
        #expect(v("1.0.0-rc.1") < v("1.0.0") && v("1.9.0") < v("1.10.0") && v("v2.0.0") == v("2.0.0"))
        #expect(SemanticVersion("1.2") == nil && SemanticVersion("one") == nil)
    }
}
