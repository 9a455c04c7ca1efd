import Foundation
import GRDB

/// One piece of output `recipe logs` shows: a hook run's, a command's, a deploy's on one instance
/// (kept in the state, the newest `Store.logsKept` of each kind per instance), or a service's (read
/// from the instance when asked, never kept). The same document the API returns.
public struct LogEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, EpochDates {
    public static var databaseTableName: String { "logs" }

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case service, hook, deploy, command
    }

    /// The kept entry's id, increasing (a follower's cursor); nil for service output.
    public var id: Int64?
    /// When it ended (a service's: when its log was last written).
    public var time: Date
    public var cluster: String
    /// The instance's name and id; nil for a scheduled hook run, which is about the cluster.
    public var instance: String?
    public var instanceID: String?
    public var kind: Kind
    /// What wrote it: the service's name, the hook (`configure`, `on:deploy.finished#1`), the app
    /// and release (`app shop 20261201T…`), the command line.
    public var source: String
    /// The scheduler's hook run (`recipe serve`), for a scheduled hook.
    public var run: Int64?
    /// The output, cleaned of secrets, its last `Store.logBytes` when longer.
    public var text: String
    /// A command's exit code.
    public var exitCode: Int32?
    /// `ok` or `failed: why` (`stopped: …` for a command its time limit stopped); nil for service output.
    public var result: String?

    public init(time: Date = Date(), cluster: String, instance: String?, instanceID: String?, kind: Kind, source: String,
                run: Int64? = nil, text: String, exitCode: Int32? = nil, result: String? = nil) {
        self.time = time
        self.cluster = cluster
        self.instance = instance
        self.instanceID = instanceID
        self.kind = kind
        self.source = source
        self.run = run
        self.text = text
        self.exitCode = exitCode
        self.result = result
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// `text` cut to its last `bytes` (at a character boundary), marker included, saying how much
    /// went (with the `dropped` bytes cut from before it already). A bounded text stays as it is.
    public static func bounded(_ text: String, to bytes: Int = Store.logBytes, dropped: Int = 0) -> String {
        let utf8 = text.utf8
        guard utf8.count > bytes || dropped > 0 else { return text }
        // a UTF-8 continuation byte (10xxxxxx) is the middle of a character: start after it
        let kept = utf8.suffix(max(0, bytes - 64)).drop { $0 & 0xC0 == 0x80 }
        return "[… \(dropped + utf8.count - kept.count) bytes before were cut]\n" + String(decoding: kept, as: UTF8.self)
    }
}
