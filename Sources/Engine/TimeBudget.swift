import Foundation

/// The deadline of the recipe run or hook a primitive works for, so that what it stops when that
/// deadline cancels it (a command on an agent) is recorded as stopped by the time limit.
public enum TimeBudget {
    @TaskLocal public static var deadline: Date?

    /// Whether the budget of the current task has run out (within the clocks' slack).
    static var isSpent: Bool { deadline.map { Date() >= $0.addingTimeInterval(-0.25) } ?? false }

    /// Why a primitive of the current task was cancelled, as an event's result says it.
    static var stopReason: String { isSpent ? "time limit exceeded" : "cancelled" }
}
