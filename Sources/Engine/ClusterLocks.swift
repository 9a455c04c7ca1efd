import Cloud
import Foundation
import Store
#if canImport(Glibc)
import Glibc
#endif

/// The cluster locks this process holds, counted, as Terraform's state lock: the first use of a
/// cluster takes its lock in the Store, the last lets it go. One per process, shared by every
/// Engine in it: a recipe's hooks change the cluster its run holds, and must not wait on it.
public final class ClusterLocks: Sendable {
    public static let shared = ClusterLocks()

    /// Seconds to wait for a lock another process holds before giving up (0: give up at once).
    public let timeout = Locked<Double>(0)
    /// The wait of one task's work instead of `timeout`: an API request waits as its caller
    /// asked (409 at once by default), while the scheduler's hooks in the same process wait 60 s.
    @TaskLocal public static var wait: Double?
    /// Told when a dead holder's lock is broken (the CLI prints it on stderr).
    public let notice = Locked<(@Sendable (String) -> Void)?>(nil)
    /// Held locks by home and cluster, with how many callers in this process use each.
    private let held = Locked<[String: Int]>([:])

    let me: ProcessIdentity = .current

    /// Takes the lock of `cluster` in `store`, waiting up to `timeout`; the caller lets it go
    /// with `release()` (a `defer` right after taking it).
    func hold(_ cluster: String, store: Store) async throws -> HeldLock {
        let key = store.home.path + "\u{0}" + cluster
        try await acquire(cluster, key: key, store: store)
        return HeldLock(locks: self, cluster: cluster, key: key, store: store)
    }

    /// One use of a held lock.
    public struct HeldLock: Sendable {
        let locks: ClusterLocks
        let cluster, key: String
        let store: Store

        public func release() { locks.release(cluster, key: key, store: store) }
    }

    private func acquire(_ cluster: String, key: String, store: Store) async throws {
        let limit = Self.wait ?? timeout.value
        let deadline = Date().addingTimeInterval(limit)
        while true {
            // the Store's row and this process's count change together, so a release in another
            // task cannot drop the row between this task's check and its count
            let outcome = try held.withLock { held -> (ClusterLock?, ClusterLock?) in
                if let count = held[key] {
                    held[key] = count + 1
                    return (nil, nil)
                }
                let lock = ClusterLock(cluster: cluster, pid: me.pid, host: me.host, started: me.started, command: me.command)
                // a row of this very process (left by a count lost to a crash of a task) is taken back
                let (holder, broken) = try store.acquireLock(lock) { me.isSelf($0) || me.isDead($0) }
                if holder == nil { held[key] = 1 }
                return (holder, broken.flatMap { me.isSelf($0) ? nil : $0 })
            }
            if let broken = outcome.1 {
                let line = "broke the stale lock of cluster \(cluster): its holder \(broken.holder) is gone"
                _ = try? store.record(Event(actor: me.actor, cluster: cluster, kind: "lock.broken", subject: cluster, detail: line))
                notice.value?(line)
            }
            guard let holder = outcome.0 else { return }
            if Date() >= deadline {
                throw CloudError("cluster \(cluster) is locked by \(holder.holder)"
                                 + (limit > 0 ? "; waited \(Int(limit)) s" : "; wait for it with --lock-timeout SECONDS"))
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    fileprivate func release(_ cluster: String, key: String, store: Store) {
        held.withLock { held in
            guard let count = held[key] else { return }
            if count > 1 {
                held[key] = count - 1
                return
            }
            held[key] = nil
            try? store.releaseLock(cluster: cluster, pid: me.pid, host: me.host)
        }
    }
}
