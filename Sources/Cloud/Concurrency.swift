import Foundation

/// Runs every operation to its end (nothing is cancelled midway: an in-flight URLSession request
/// must never be cancelled, see `bounded`), then returns the results in order or throws
/// the first error.
@discardableResult
public func all<T: Sendable>(_ operations: [@Sendable () async throws -> T]) async throws -> [T] {
    let results = await withTaskGroup(of: (Int, Result<T, any Error>).self) { group in
        for (index, operation) in operations.enumerated() {
            group.addTask {
                do { return (index, .success(try await operation())) } catch { return (index, .failure(error)) }
            }
        }
        var results = [Result<T, any Error>?](repeating: nil, count: operations.count)
        for await (index, result) in group { results[index] = result }
        return results
    }
    return try results.map { try $0!.get() }
}

/// `operation`'s result, or `timeout` thrown once `seconds` have passed: a hard bound of our own.
/// The operation is never cancelled (cancelling an in-flight URLSession task can deadlock
/// FoundationNetworking on Linux); a late result is dropped.
public func bounded<T: Sendable>(_ seconds: Double, timeout: any Error,
                                 _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let claimed = Locked(false)
    @Sendable func claim() -> Bool { claimed.withLock { was in defer { was = true }; return !was } }
    return try await withCheckedThrowingContinuation { continuation in
        Task {
            do {
                let value = try await operation()
                if claim() { continuation.resume(returning: value) }
            } catch {
                if claim() { continuation.resume(throwing: error) }
            }
        }
        Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            if claim() { continuation.resume(throwing: timeout) }
        }
    }
}
