import Foundation

/// A command whose caller was cancelled (its time limit ran out) while it ran on an instance: the
/// provider stopped it. `confirmed` when the instance reported it gone, with what it had written.
public struct CommandStopped: Error, Sendable, CustomStringConvertible {
    public var instance: String
    public var confirmed: Bool
    public var result: CommandResult?

    public init(instance: String, confirmed: Bool, result: CommandResult? = nil) {
        self.instance = instance
        self.confirmed = confirmed
        self.result = result
    }

    public var description: String {
        confirmed ? "command on \(instance) stopped" : "command on \(instance) asked to stop (its agent did not confirm)"
    }
}
