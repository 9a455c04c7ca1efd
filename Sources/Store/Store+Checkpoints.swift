import Cloud
import Foundation
import GRDB

extension Store {
    /// For a long-running writer (`recipe serve`): its own commits stop checkpointing the WAL, and
    /// a connection of its own, on a thread of its own, checkpoints every `interval` seconds
    /// instead, until the returned handle is stopped. A checkpoint fsyncs the WAL and the
    /// database (20-40 ms each on this shared disk), and SQLite runs it inside the commit that
    /// took the WAL past 1,000 pages, so every write queued behind that commit waited for it:
    /// the scheduler's p99 at a few thousand events a second.
    public func checkpointInBackground(every interval: Double = 0.5) throws -> BackgroundCheckpoints {
        let path = home.appendingPathComponent("state.db").path
        var config = Configuration()
        config.busyMode = .callback(Self.waitForLock(upTo: 30))
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 0") }  // as the Store's own connections
        let checkpointer = try DatabaseQueue(path: path, configuration: config)
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        return BackgroundCheckpoints(store: self, checkpointer: checkpointer, interval: interval)
    }
}

/// The thread `Store.checkpointInBackground` started; `stop` ends it and gives commits their
/// checkpoints back.
public final class BackgroundCheckpoints: Sendable {
    private let stopped = Locked(false)
    private let store: Store

    init(store: Store, checkpointer: DatabaseQueue, interval: Double) {
        self.store = store
        let stopped = stopped
        // a thread, not a task: the fsyncs block, and the two cooperative threads run the scheduler
        Thread {
            while !stopped.value {
                Thread.sleep(forTimeInterval: interval)
                // passive: never waits for a writer or a reader, so no write waits for it
                _ = try? checkpointer.inDatabase { try $0.checkpoint(.passive) }
            }
        }.start()
    }

    public func stop() {
        stopped.withLock { $0 = true }
        try? store.db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = \(Store.checkpointPages)") }
    }
}
