import Foundation
import Synchronization
import PostgresState
import Store
import TestSupport
import Testing

/// The Store's tables on the engine-neutral seam (events, hook runs, scheduler state) behave the
/// same on SQLite and PostgreSQL: what the dispatcher, `recipe events` and the API read.
@Suite(.serialized) struct StateSeamTests {
    /// The same migrations: every table and column of the SQLite state is on PostgreSQL, and no other.
    @Test func bothEnginesHoldTheSameTablesAndColumns() throws {
        var schemas: [StateEngine: [String: Set<String>]] = [:]
        try BothEngines.run { engine, store in
            let pairs: [(String, String)] = try store.state.read { sql in
                switch engine {
                case .sqlite:
                    let tables = try sql.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'")
                        .compactMap { $0[0].string }
                    return try tables.flatMap { table in
                        try sql.rows("SELECT name FROM pragma_table_info(?)", table).compactMap { $0[0].string }.map { (table, $0) }
                    }
                case .postgres:
                    return try sql.rows("""
                        SELECT table_name, column_name FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name NOT IN ('recipe_migrations', 'controller_leader')
                        """).map { ($0[0].string ?? "", $0[1].string ?? "") }
                }
            }
            schemas[engine] = pairs.reduce(into: [:]) { $0[$1.0.lowercased(), default: []].insert($1.1.lowercased()) }
        }
        let (sqlite, postgres) = (schemas[.sqlite] ?? [:], schemas[.postgres] ?? [:])
        #expect(sqlite.count > 20)
        #expect(Set(sqlite.keys) == Set(postgres.keys), "tables only on sqlite: \(Set(sqlite.keys).subtracting(postgres.keys)); only on postgres: \(Set(postgres.keys).subtracting(sqlite.keys))")
        for (table, columns) in sqlite {
            #expect(columns == postgres[table], "\(table): only on sqlite \(columns.subtracting(postgres[table] ?? [])), only on postgres \((postgres[table] ?? []).subtracting(columns))")
        }
    }

    @Test func theEventLogReadsTheSameOnBothEngines() throws {
        try BothEngines.run { engine, store in
            let launched = try store.record(Event(actor: "owner", cluster: "shop", kind: "instance.launched", subject: "i-1", detail: "web-1 at 10.0.0.2"))
            try store.record(Event(actor: "owner", cluster: "shop", kind: "deploy.started", subject: "app"))
            try store.record(Event(actor: "user:ann", cluster: "other", kind: "deploy.failed", subject: "app", result: "failed: exit 1"))
            try store.record(Event(actor: "scheduler", cluster: "shop", kind: "instance.heartbeat", subject: "i-1"))
            let first = try #require(launched.id)
            #expect(try store.lastEventID() == first + 3, "\(engine)")
            #expect(try store.event(first)?.detail == "web-1 at 10.0.0.2", "\(engine)")
            #expect(try store.events(cluster: "shop").map(\.kind) == ["instance.launched", "deploy.started", "instance.heartbeat"], "\(engine)")
            #expect(try store.eventPage(after: first, limit: 2).map(\.kind) == ["deploy.started", "deploy.failed"], "\(engine)")

            var query = EventQuery()
            query.kinds = ["deploy"]
            #expect(try store.events(query).map(\.kind) == ["deploy.started", "deploy.failed"], "\(engine): a family")
            query.actor = "user:ann"
            #expect(try store.events(query).map(\.result) == ["failed: exit 1"], "\(engine)")
            var hidden = EventQuery(cluster: "shop")
            hidden.hidden = ["instance.heartbeat"]
            #expect(try store.events(hidden).count == 2, "\(engine): hidden kinds stay out unless asked for")
            var newest = EventQuery()
            newest.newest = 2
            #expect(try store.events(newest).map(\.kind) == ["deploy.failed", "instance.heartbeat"], "\(engine): the newest, oldest first")
            #expect(try store.subjects(ofInstance: "web-1", cluster: "shop") == ["web-1", "i-1"], "\(engine)")
        }
    }

    @Test func aDispatchIsRecordedOnceWhoeverWritesItAgain() throws {
        try BothEngines.run { engine, store in
            let event = try #require(try store.record(Event(actor: "owner", cluster: "shop", kind: "instance.failed", subject: "i-1")).id)
            let run = HookRun(hook: "heal.lua:on:instance.failed", cluster: "shop", eventID: event, trigger: "event")
            let inserted = try store.schedule([run], state: ["dispatch.cursor": String(event)])
            #expect(inserted.count == 1 && inserted[0].id != nil, "\(engine)")
            #expect(try store.schedule([run], state: [:]).isEmpty, "\(engine): the same hook, event and attempt is there already")
            let again = try store.advance([], inserting: [run], starting: [], state: [:], at: Date())
            #expect(again == [nil], "\(engine)")
            #expect(try store.schedulerState("dispatch.cursor") == String(event), "\(engine)")

            let id = try #require(inserted[0].id)
            try store.startRuns([id])
            #expect(try store.hookRuns(eventID: event).map(\.state) == [.running], "\(engine)")
            let interrupted = try store.interruptRunning()
            #expect(interrupted.map(\.id) == [id] && interrupted[0].hook == run.hook, "\(engine)")
            #expect(try store.hookRuns(hook: run.hook).first?.error == "the scheduler stopped while it ran", "\(engine)")

            var retry = run
            retry.attempt = 2
            let retried = try store.advance([], inserting: [retry], starting: [], state: ["timer.last:a": "1", "timer.last:b": "2"], at: Date())
            #expect(try store.pendingRuns().map(\.id) == retried, "\(engine)")
            try store.finishRuns([.init(id: try #require(retried[0]), state: .failed, duration: 0.25, error: "exit 3")])
            let finished = try #require(try store.hookRuns(eventID: event).first)
            #expect(finished.state == .failed && finished.duration == 0.25 && finished.attempt == 2, "\(engine)")
            #expect(try store.schedulerState(prefix: "timer.last:") == ["timer.last:a": "1", "timer.last:b": "2"], "\(engine)")
            try store.schedule([], state: ["timer.last:a": "3"])
            #expect(try store.schedulerState("timer.last:a") == "3", "\(engine): a key is set again, not added twice")
        }
    }

    @Test func theEventLogRefusesChangesOnBothEngines() throws {
        try BothEngines.run { engine, store in
            let id = try #require(try store.record(Event(actor: "owner", cluster: nil, kind: "user.added", subject: "ann")).id)
            #expect(throws: (any Error).self, "\(engine)") {
                try store.state.write { sql in try sql.execute("UPDATE events SET actor = 'mallory' WHERE id = ?", id) }
            }
            #expect(throws: (any Error).self, "\(engine)") {
                try store.state.write { sql in try sql.execute("DELETE FROM events WHERE id = ?", id) }
            }
            #expect(try store.event(id)?.actor == "owner", "\(engine)")
        }
    }

    @Test func aBadStatementSaysWhatTheServerSaidAndLosesNothing() throws {
        try BothEngines.run { engine, store in
            try store.record(Event(actor: "owner", cluster: nil, kind: "a", subject: nil))
            do {
                try store.state.write { sql in
                    try sql.execute("INSERT INTO schedulerState(key, value) VALUES (?, ?)", "k", "v")
                    try sql.execute("SELECT nonsense FROM events")
                }
                Issue.record("\(engine): a bad statement passed")
            } catch {
                #expect("\(error)".contains("nonsense"), "\(engine): \(error)")
            }
            #expect(try store.schedulerState("k") == nil, "\(engine): the failed transaction left nothing")
            #expect(try store.lastEventID() > 0, "\(engine): and the state still answers")
        }
    }

    /// A database made with a language's collation (ICU's en-US) still sorts and compares names
    /// byte by byte, as SQLite does: `a_b` after `a1` (en-US puts punctuation before digits).
    @Test func namesSortAsOnSQLiteWhateverTheDatabasesCollation() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let admin = try PostgresStateDatabase(url: try DatabaseURL(server.url), connections: 1)
        defer { admin.close() }
        // CREATE DATABASE refuses a transaction: a read sends it alone
        _ = try admin.read { sql in
            try sql.execute("CREATE DATABASE english TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'", [])
        }
        let database = try PostgresStateDatabase(url: try DatabaseURL("postgres://recipe@127.0.0.1:\(server.port)/english"))
        defer { database.close() }
        #expect(try database.read { sql in try sql.value("SELECT CASE WHEN 'a_b' < 'a1' THEN 1 ELSE 0 END")?.int64 } == 1,
                "the database's own collation puts a_b first")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-seam-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try Store(home: home, shared: database)
        for name in ["b", "a_b", "a1"] { try store.addAccount(name, admin: false, actor: "owner") }
        #expect(try store.accounts().map(\.name) == ["a1", "a_b", "b"])
    }

    /// Statements sent without waiting (`send`, pipelined on PostgreSQL): one refused fails the
    /// transaction, whether the statement after it or the commit reads its answer, and the rows
    /// sent before it are rolled back with it; the connection then serves the next call.
    @Test func aSentStatementThatFailsRollsBackItsTransaction() throws {
        try BothEngines.run { engine, store in
            for (index, thenQuery) in [true, false].enumerated() {
                do {
                    try store.state.write { sql in
                        try sql.send("INSERT INTO schedulerState(key, value) VALUES (?, ?)", [.text("sent \(index)"), .text("v")])
                        try sql.send("INSERT INTO nowhere(key) VALUES (?)", [.text("k")])
                        if thenQuery { _ = try sql.rows("SELECT COUNT(*) FROM schedulerState") }
                    }
                    Issue.record("\(engine): a refused statement passed")
                } catch {
                    #expect("\(error)".contains("nowhere"), "\(engine): \(error)")
                }
                #expect(try store.schedulerState("sent \(index)") == nil, "\(engine): the rows sent before it went with it")
            }
            try store.state.write { sql in
                try sql.send("INSERT INTO schedulerState(key, value) VALUES (?, ?)", [.text("after 1"), .text("1")])
                try sql.send("INSERT INTO schedulerState(key, value) VALUES (?, ?)", [.text("after 2"), .text("2")])
            }
            #expect(try store.schedulerState("after 1") == "1" && store.schedulerState("after 2") == "2", "\(engine): both sent, both committed")
        }
    }

    /// Several controllers record at once while one follows the log by id, as the dispatcher
    /// does: it sees every event once, none passed over (appends commit in id order: StateDatabase.append).
    @Test func aFollowerOfTheLogMissesNoEventWhileControllersRecordAtOnce() throws {
        try BothEngines.shared(3) { _, stores in
            let (writers, perWriter) = (4, 150)
            let follower = stores[0]
            let done = DispatchGroup()
            for writer in 0..<writers {
                DispatchQueue.global().async(group: done) {
                    let store = stores[writer % stores.count]
                    for n in 0..<perWriter {
                        _ = try? store.record(Event(actor: "agent:\(writer)", cluster: "shop", kind: "metric.sample", subject: "\(writer)-\(n)"))
                    }
                }
            }
            var seen: [String] = []
            var cursor: Int64 = 0
            var writing = true
            while writing {
                writing = done.wait(timeout: .now()) == .timedOut
                let page = try follower.eventPage(after: cursor, limit: writing ? 64 : 10_000)
                seen += page.compactMap(\.subject)
                cursor = page.last?.id ?? cursor
            }
            #expect(seen.count == writers * perWriter, "the follower saw \(seen.count) of \(writers * perWriter)")
            #expect(Set(seen).count == seen.count, "no event twice")
        }
    }

    /// Two controllers dispatch the same event at once (a leader that has not yet learnt it lost
    /// its lead, and the new one): one run is recorded, and each learns which.
    @Test func twoControllersDispatchingOneEventRecordOneRun() throws {
        try BothEngines.shared(2) { _, stores in
            let event = try #require(try stores[0].record(Event(actor: "owner", cluster: "shop", kind: "instance.failed", subject: "i-9")).id)
            #expect(try stores[1].event(event)?.subject == "i-9", "a controller reads what another recorded")
            let run = HookRun(hook: "heal.lua:on:instance.failed", cluster: "shop", eventID: event, trigger: "event")
            let results = Mutex<[Int]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { n in
                let inserted = (try? stores[n % 2].schedule([run], state: ["dispatch.cursor": String(event)]).count) ?? -1
                results.withLock { $0.append(inserted) }
            }
            let counts = results.withLock { $0 }
            #expect(counts.sorted() == [0, 0, 0, 0, 0, 0, 0, 1], "\(counts)")
            #expect(try stores[1].hookRuns(eventID: event).count == 1)
        }
    }

    @Test func aControllerWhoseConnectionsWereCutGoesOnWithNewOnes() throws {
        try BothEngines.shared(1) { server, stores in
            let store = stores[0]
            try store.record(Event(actor: "owner", cluster: nil, kind: "a", subject: nil))
            DispatchQueue.concurrentPerform(iterations: 16) { _ in _ = try? store.events() }  // the pool's every connection open
            // as a restarted server or a killed backend would: every connection of the pool ends
            let admin = try PostgresStateDatabase(url: try DatabaseURL(server.url), connections: 1)
            defer { admin.close() }
            try admin.read { sql in
                try sql.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'recipe' AND pid <> pg_backend_pid()")
            }
            // the calls that meet a dead connection drop it and go on with a new one
            for kind in ["b", "c", "d", "e", "f"] { try store.record(Event(actor: "owner", cluster: nil, kind: kind, subject: nil)) }
            #expect(try store.events().map(\.kind) == ["a", "b", "c", "d", "e", "f"])
        }
    }
}

