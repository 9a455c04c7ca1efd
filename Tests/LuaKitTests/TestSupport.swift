import Foundation
import Testing
@testable import LuaKit

/// Tests whose outcome depends on wall-clock time, run one at a time: a runaway script holds a
/// thread of the cooperative pool (2 on a small machine) until its budget stops it, and a deadline
/// or a sleeping primitive needs a free thread to complete on time.
@Suite(.serialized) struct TimingSensitive {}

/// Records when each call of an async primitive was in flight.
final class FlightRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var intervals: [(start: ContinuousClock.Instant, end: ContinuousClock.Instant)] = []

    func record(_ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) {
        lock.lock()
        intervals.append((start, end))
        lock.unlock()
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return intervals.count }

    /// Whether every recorded call started before any of them ended.
    var allOverlapped: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let lastStart = intervals.map(\.start).max(), let firstEnd = intervals.map(\.end).min() else { return false }
        return lastStart < firstEnd
    }

    /// `sleep(seconds, value...)` that records its flight.
    var sleep: LuaPrimitive {
        { call in
            let seconds = call.arg(1).doubleValue ?? 0
            let values = call.count > 1 ? (2...call.count).map { call.arg($0) } : []
            return .async { [self] in
                let start = ContinuousClock.now
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                self.record(start, ContinuousClock.now)
                return values
            }
        }
    }
}

/// Runs `source` as a recipe and returns the `LuaError` it ends with; records an issue if the run
/// succeeds or throws something else.
func runExpectingError(
    _ vm: LuaVM, _ source: String, chunkName: String = "@t.lua",
    sourceLocation: SourceLocation = #_sourceLocation
) async -> LuaError? {
    do {
        let values = try await vm.run(source: source, chunkName: chunkName)
        Issue.record("expected the run to fail, it returned \(values)", sourceLocation: sourceLocation)
    } catch let error as LuaError {
        return error
    } catch {
        Issue.record("expected a LuaError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Wall-clock time `body` takes.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await body()
    return (result, clock.now - start)
}

/// A VM whose internal prelude (chunk "=test") exposes `primitives` as globals of the same name.
func makeVM(options: LuaOptions = LuaOptions(), _ primitives: [String: LuaPrimitive] = [:]) throws -> LuaVM {
    let vm = try LuaVM(options: options)
    for (name, primitive) in primitives { vm.register(name, primitive) }
    let lines = primitives.keys.sorted().map { "\($0) = prim.\($0)" }
    try vm.runPrelude((["local prim = ..."] + lines).joined(separator: "\n"), chunkName: "=test")
    return vm
}

/// Common primitives used across suites.
enum Primitives {
    /// `add(a, b)`: a synchronous primitive.
    static var add: LuaPrimitive { { call in
        guard let a = call.arg(1).intValue, let b = call.arg(2).intValue else {
            throw PrimitiveError("add: expected two integers")
        }
        return .values([.int(a + b)])
    } }

    /// `fail()`: a synchronous primitive that throws `PrimitiveError("bad count")`.
    static var fail: LuaPrimitive { { _ in throw PrimitiveError("bad count") } }

    /// `sleep(seconds, value...)`: an async primitive that returns its extra arguments afterwards.
    static var sleep: LuaPrimitive { { call in
        let seconds = call.arg(1).doubleValue ?? 0
        let values = call.count > 1 ? (2...call.count).map { call.arg($0) } : []
        return .async {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            return values
        }
    } }

    /// `fetch_fail(message)`: an async primitive that throws `PrimitiveError(message)` after 10 ms.
    static var fetchFail: LuaPrimitive { { call in
        let message = call.arg(1).stringValue ?? "fetch failed"
        return .async {
            try await Task.sleep(nanoseconds: 10_000_000)
            throw PrimitiveError(message)
        }
    } }
}

/// A fresh folder under the temporary directory, removed when `body` ends.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("luakit-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// Writes `text` to `root/relativePath`, creating folders on the way.
func write(_ text: String, to relativePath: String, in root: URL) throws {
    let url = root.appendingPathComponent(relativePath)
    try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
}
