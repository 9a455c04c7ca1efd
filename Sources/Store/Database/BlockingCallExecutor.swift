import Foundation

/// Threads of their own for work whose Store calls block on a network round trip
/// (PostgreSQL): on Swift's cooperative pool, which has one thread per core, two requests waiting
/// on the database held the whole pool and the server sat at one core while clients queued. A
/// request that prefers this executor runs its nonisolated work here, where a blocked thread
/// holds up only itself; so does the scheduler's work (`Serve`: its dispatcher's polls and its
/// executor's writes, default actors included, which run on the preferred executor).
public final class BlockingCallExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(threads: Int) {
        for n in 0..<threads {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "recipe-store-\(n)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
