import Foundation
import PostgresState
import Store

/// Which state a command works on: `--database URL`, else `$RECIPE_DATABASE_URL`, names a
/// PostgreSQL that several controllers share; without either it is the home's SQLite file. The
/// home holds what stays on this machine either way: the secrets key, logs, files, service logs.
enum StateLocation {
    static let variable = "RECIPE_DATABASE_URL"

    /// The shared database's URL, if one is named.
    static func databaseURL(explicit: String?) -> String? {
        if let explicit, !explicit.isEmpty { return explicit }
        let named = ProcessInfo.processInfo.environment[variable] ?? ""
        return named.isEmpty ? nil : named
    }

    /// Opens the state; on PostgreSQL with `connections` pooled. The URL is put in the process's
    /// environment, so the local agents it starts find the same database (they take it out again
    /// before they start any service).
    static func open(home: URL, database explicit: String?, connections: Int = 4, light: Bool = false) throws -> Store {
        guard let text = databaseURL(explicit: explicit) else { return try Store(home: home, light: light) }
        let url = try DatabaseURL(text)
        setenv(variable, text, 1)
        return try Store(home: home, shared: try PostgresStateDatabase(url: url, connections: connections))
    }
}

extension HomeOptions {
    /// The state these options name (`--home`, `--database`).
    func store() throws -> Store {
        try StateLocation.open(home: Store.home(explicit: home), database: database)
    }
}
