/// Runs every operation to its end (nothing is cancelled midway: an in-flight URLSession request
/// must never be cancelled, see QueryClient.fetch), then returns the results in order or throws
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
