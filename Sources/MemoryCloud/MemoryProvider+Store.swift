import Cloud
import Foundation
import Store

extension MemoryProvider {
    /// Records what it reports in `store`'s event log, as a real provider would.
    public func record(to store: Store) {
        record { life in
            _ = try? store.record(Event(actor: life.actor, cluster: life.cluster, kind: life.kind, subject: life.subject,
                                        detail: life.detail, time: life.time))
        }
    }
}
