import PostgresState
import Testing

/// `RECIPE_DATABASE_URL`: what it may say, and a refusal that names the wrong part and never the password.
@Suite struct DatabaseURLTests {
    @Test func aURLNamesUserHostPortAndDatabase() throws {
        let url = try DatabaseURL("postgres://recipe:s3cret@db.example:6543/state?sslmode=disable")
        #expect(url.user == "recipe" && url.password == "s3cret" && url.host == "db.example" && url.port == 6543 && url.database == "state")
        #expect(url.description == "postgres://recipe:***@db.example:6543/state", "the password is never said back")
        #expect(try DatabaseURL("postgresql://ops@127.0.0.1/recipe").port == 5432)
    }

    @Test(arguments: [
        ("mysql://recipe@db/state", "'mysql:' is not a database this tool speaks"),
        ("postgres:///state", "names no host"),
        ("postgres://db.example/state", "names no user"),
        ("postgres://recipe@db.example", "names no database"),
        ("postgres://recipe@db.example/state?sslmode=require", "only sslmode=disable"),
        ("not a url at all", "is not a URL"),
    ])
    func aBadURLIsRefusedNamingWhatIsWrong(text: String, says: String) {
        #expect {
            try DatabaseURL(text)
        } throws: { error in
            "\(error)".contains(says)
        }
    }

    @Test func aRefusalNeverRepeatsThePassword() {
        #expect {
            try DatabaseURL("mysql://recipe:hunter2@db/state")
        } throws: { error in
            !"\(error)".contains("hunter2")
        }
    }
}
