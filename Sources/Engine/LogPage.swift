import Store

/// Where a follower has read to: the last kept entry it saw, and how far into each service's log
/// (instance id → service → byte offset).
public struct LogCursor: Sendable, Codable, Equatable {
    public var after: Int64
    public var offsets: [String: [String: Int64]]

    public init(after: Int64 = 0, offsets: [String: [String: Int64]] = [:]) {
        self.after = after
        self.offsets = offsets
    }
}

/// One read of the logs: the entries, oldest first, where to read on from, and what could not be
/// read (a provider that did not answer: its services' output is missing, the kept entries are not).
public struct LogPage: Sendable {
    public var entries: [LogEntry]
    public var cursor: LogCursor
    public var warnings: [String]
}
