import Foundation

/// What one service of an instance wrote to its log, read from a byte offset on: whole lines
/// only (a line still being written waits for the next read), so a follower that reads again
/// from `end` misses and repeats nothing.
public struct ServiceOutput: Sendable, Equatable {
    public var service: String
    public var text: String
    /// The offset to read from next time.
    public var end: Int64
    /// When the log was last written.
    public var modified: Date

    public init(service: String, text: String, end: Int64, modified: Date) {
        self.service = service
        self.text = text
        self.end = end
        self.modified = modified
    }
}
