import Foundation
import PostgresState
import Scheduler

/// The scheduler's lead on PostgreSQL: `ControllerLeadership`'s advisory lock, looked at every
/// half second while standing by and every second while leading. A leader that finds its session
/// gone has lost the lead (another controller may hold it within the second).
final class PostgresLead: SchedulerLead {
    let leadership: ControllerLeadership
    let url: DatabaseURL

    init(url: DatabaseURL, holder: String) {
        self.url = url
        leadership = ControllerLeadership(url: url, holder: holder)
    }

    func acquire(standing: @escaping @Sendable (String) -> Void) async throws {
        var told = false
        while await !leadership.attempt() {
            try Task.checkCancellation()
            if !told, let leader = try? await ControllerLeadership.current(url) {
                standing(leader.holder)
                told = true
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    func lost() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if await !leadership.attempt() { return }
        }
    }

    func release() async { await leadership.resign() }
}
