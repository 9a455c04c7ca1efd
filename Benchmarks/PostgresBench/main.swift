// The question issue 16's Store port waits on: what a synchronous Store call costs on PostgreSQL
// when it blocks on PostgresNIO's future (`.wait()`), next to the same call on SQLite (GRDB) and
// to PostgresNIO's own async/await, on loopback. One "op" is an INSERT of a row and a SELECT of
// it by key, as an event's record and read. The server is Debian's PostgreSQL that the bench
// starts (Tests/Support/PostgresServer: a temporary folder, a loopback port, stopped by its PID),
// with fsync off as the tests run it: the figures are of the round trips, not of a disk.
//
// Then the scheduler's share of the event path on each engine (SchedulerPath): events recorded
// at a rate stepped up until a step misses p99 <= 20 ms, and the largest rate that held, held again.
//
//   swift run -c release postgres-bench [OPS] [--holds=N] [--step=SECONDS]   (3000 ops per line, 3 holds, 5 s steps)
import Dispatch
import Foundation
import GRDB
import Logging
import NIOCore
import PostgresNIO
import PostgresState
import Store
import TestSupport

let ops = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 3000
func option(_ name: String) -> Double? {
    CommandLine.arguments.first { $0.hasPrefix("--\(name)=") }.flatMap { Double($0.split(separator: "=")[1]) }
}
let logger = Logger(label: "bench")

/// Runs async work from this synchronous top level, waiting for it on a semaphore.
final class ResultBox<T>: @unchecked Sendable { var result: Result<T, any Error>? }

func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>(), done = DispatchSemaphore(value: 0)
    Task.detached { do { box.result = .success(try await body()) } catch { box.result = .failure(error) }; done.signal() }
    done.wait()
    return try box.result!.get()
}

/// Latencies gathered by several callers at once.
final class Latencies: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Double] = []
    func add(_ more: [Double]) { lock.lock(); values += more; lock.unlock() }
    var all: [Double] { lock.lock(); defer { lock.unlock() }; return values }
}

func line(_ name: String, _ latencies: [Double], seconds: Double) {
    let sorted = latencies.sorted()
    func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1e6 }
    print(String(format: "%@  p50 %6.0f µs  p99 %6.0f µs  %7.0f ops/s  (%d ops)", name.padding(toLength: 58, withPad: " ", startingAt: 0),
                 at(0.5), at(0.99), Double(latencies.count) / seconds, latencies.count))
}

func timed(_ count: Int, _ body: (Int) throws -> Void) rethrows -> ([Double], Double) {
    var latencies: [Double] = []
    latencies.reserveCapacity(count)
    let start = DispatchTime.now().uptimeNanoseconds
    for n in 0..<count {
        let t = DispatchTime.now().uptimeNanoseconds
        try body(n)
        latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
    }
    return (latencies, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

// SQLite, as the Store opens it: WAL, a file of its own
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-bench-\(UUID().uuidString.prefix(8))")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let sqlite = try DatabasePool(path: folder.appendingPathComponent("state.db").path)
try sqlite.write { try $0.execute(sql: "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)") }
let (sqliteLatencies, sqliteSeconds) = try timed(ops) { n in
    try sqlite.write { try $0.execute(sql: "INSERT INTO t (k, v) VALUES (?, ?)", arguments: [n, "event \(n)"]) }
    _ = try sqlite.read { try String.fetchOne($0, sql: "SELECT v FROM t WHERE k = ?", arguments: [n]) }
}
line("sqlite (GRDB, WAL) 1 thread", sqliteLatencies, seconds: sqliteSeconds)

let server = try PostgresServer()
defer { server.stop() }
let url = try DatabaseURL(server.url)
func connect() throws -> PostgresConnection {
    try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.any(), configuration: .init(url.configuration(application: "bench")),
                                   id: 1, logger: logger).wait()
}
extension PostgresConnection.Configuration { init(_ c: PostgresConnection.Configuration) { self = c } }

let setup = try connect()
_ = try setup.query("CREATE TABLE t (k bigint PRIMARY KEY, v text NOT NULL)", logger: logger).wait()

// a synchronous call that blocks on the future: what a synchronous Store would do
func syncOp(_ connection: PostgresConnection, _ key: Int) throws {
    _ = try connection.query("INSERT INTO t (k, v) VALUES (\(key), \("event \(key)"))", logger: logger).wait()
    _ = try connection.query("SELECT v FROM t WHERE k = \(key)", logger: logger).wait()
}
let (syncLatencies, syncSeconds) = try timed(ops) { n in try syncOp(setup, 1_000_000 + n) }
line("postgres sync (.wait) 1 thread", syncLatencies, seconds: syncSeconds)

// PostgresNIO's own async/await, one task
let asyncResult: ([Double], Double) = try blocking { [setup] in
    var latencies: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    for n in 0..<ops {
        let t = DispatchTime.now().uptimeNanoseconds
        let key = 2_000_000 + n
        try await setup.query("INSERT INTO t (k, v) VALUES (\(key), \("event \(key)"))", logger: logger)
        for try await _ in try await setup.query("SELECT v FROM t WHERE k = \(key)", logger: logger).decode(String.self) {}
        latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
    }
    return (latencies, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}
line("postgres async/await 1 task", asyncResult.0, seconds: asyncResult.1)

// several callers at once, each on a connection of its own (a pool's worth)
for (round, (callers, onPool)) in [(4, false), (8, false), (8, true)].enumerated() {
    let base = 10_000_000 * (round + 3)  // keys of their own: a duplicate would fail a caller's whole batch
    let connections = try (0..<callers).map { _ in try connect() }
    let per = ops / callers
    let collected = Latencies()
    let start = DispatchTime.now().uptimeNanoseconds
    if onPool {
        // blocking calls from Swift concurrency's cooperative threads (2 on this machine): the
        // futures complete on NIO's event loop, so this starves the pool but cannot deadlock it
        try blocking { [connections] in
            await withTaskGroup(of: [Double].self) { group in
                for (index, connection) in connections.enumerated() {
                    group.addTask { (try? timed(per) { n in try syncOp(connection, base + 1_000_000 * index + n) }.0) ?? [] }
                }
                for await latencies in group { collected.add(latencies) }
            }
        }
    } else {
        let done = DispatchGroup()
        for (index, connection) in connections.enumerated() {
            done.enter()
            Thread.detachNewThread {
                collected.add((try? timed(per) { n in try syncOp(connection, base + 1_000_000 * index + n) }.0) ?? [])
                done.leave()
            }
        }
        done.wait()
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    line("postgres sync (.wait) \(callers) \(onPool ? "tasks on the cooperative pool" : "threads")", collected.all, seconds: seconds)
    for connection in connections { try connection.close().wait() }
}
try setup.close().wait()

// the scheduler's Store calls, on a home's SQLite file and on this PostgreSQL
let rates = [500, 1000, 1500, 2000, 2500, 3000, 4000, 6000, 8000, 12000]
let (stepSeconds, holds) = (option("step") ?? 5, Int(option("holds") ?? 3))
let sqliteState = try Store(home: folder.appendingPathComponent("sqlite-home"))
try SchedulerPath(name: "scheduler on sqlite", store: sqliteState).run(rates: rates, stepSeconds: stepSeconds, holdSeconds: 2 * stepSeconds, holds: holds)
let shared = try PostgresStateDatabase(url: url, connections: 6)
let postgresState = try Store(home: folder.appendingPathComponent("postgres-home"), shared: shared)
try SchedulerPath(name: "scheduler on postgres", store: postgresState).run(rates: rates, stepSeconds: stepSeconds, holdSeconds: 2 * stepSeconds, holds: holds)
shared.close()
print(String(format: "load %@", (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8).split(separator: " ").prefix(3).joined(separator: " ")) ?? "?"))
