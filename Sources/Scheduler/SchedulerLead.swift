import Cloud
import Foundation

/// Who among the controllers of one state does the singular work (dispatching events to hooks,
/// timers, failure detection, alarms): on SQLite the holder of the home's `ServeLock`, on
/// PostgreSQL the session that holds the leadership's advisory lock (PostgresState).
public protocol SchedulerLead: Sendable {
    /// Returns once this controller leads; `standing` is told, once, who leads meanwhile.
    func acquire(standing: @escaping @Sendable (String) -> Void) async throws
    /// Returns when the lead is lost: never for a lock the process holds until it dies.
    func lost() async
    /// Lets the lead go, so a standby takes over at its next look.
    func release() async
}

/// The lead on SQLite: the flock on HOME/serve.lock, dropped by the kernel however the process ends.
public final class FileLead: SchedulerLead, @unchecked Sendable {
    let home: URL
    private let held = Locked<ServeLock?>(nil)

    public init(home: URL) { self.home = home }

    public func acquire(standing: @escaping @Sendable (String) -> Void) async throws {
        let lock = try await ServeLock.acquire(home: home) { standing("pid \($0)") }
        held.withLock { $0 = lock }
    }

    public func lost() async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    public func release() async { held.withLock { $0 = nil } }
}

/// The singular work stopped because another controller may have it now.
public struct LeadLost: Error, CustomStringConvertible {
    public var description: String {
        "lost the lead (its database session ended): stopping, so that a restart stands by behind the controller that leads now"
    }
}
