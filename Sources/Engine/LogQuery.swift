import Cloud
import Foundation
import Store

/// Which output `Engine.logs` returns: every field narrows the set.
public struct LogQuery: Sendable, Equatable {
    public var cluster: String
    /// One instance, by name or id (a name matches the instances that had it, gone ones too).
    public var instance: String?
    /// Only these kinds; all when empty.
    public var kinds: Set<LogEntry.Kind> = []
    /// Only this service's output (and no other kind).
    public var service: String?
    public var since: Date?
    /// Only the newest this many (still returned oldest first).
    public var limit: Int?

    public init(cluster: String, instance: String? = nil, kinds: Set<LogEntry.Kind> = [], service: String? = nil,
                since: Date? = nil, limit: Int? = nil) {
        self.cluster = cluster
        self.instance = instance
        self.kinds = kinds
        self.service = service
        self.since = since
        self.limit = limit
    }

    /// `--since`: a duration back from now (10m, 2h, 1d) or a UTC date (2026-11-03T10:00).
    public static func since(_ text: String, now: Date = Date()) throws -> Date {
        if let seconds = try? Interval.seconds(text) { return now.addingTimeInterval(-seconds) }
        if let date = Usage.instant(text) { return date }
        throw CloudError("--since: '\(text)' is neither a duration (such as 10m, 2h or 1d) nor a UTC date (such as 2026-11-03T10:00)")
    }

    /// Whether entries of `kind` are asked for.
    func wants(_ kind: LogEntry.Kind) -> Bool {
        if service != nil { return kind == .service }
        return kinds.isEmpty || kinds.contains(kind)
    }
}
