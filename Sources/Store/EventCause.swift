import Foundation

/// Why an event was recorded: the hook run that recorded it and the event that run was on. An
/// event from outside (the CLI, an agent, a timer's hook) starts a chain; each hook run on an
/// event and emitting another makes the chain one deeper. `recipe serve` refuses to go deeper
/// than its `--max-hook-depth` (a `hook.loop`), so a hook feeding its own family stops.
public struct EventCause: Sendable, Equatable {
    /// The hook run that recorded the event.
    public var run: Int64
    /// Its hook's key (recipe path, kind and place), for `hook.loop` to name.
    public var hook: String
    /// The event the run was on (nil for a timer's or an alarm's run).
    public var event: Int64?
    /// That event's depth: an event recorded under this cause is one deeper.
    public var depth: Int

    public init(run: Int64, hook: String, event: Int64?, depth: Int) {
        self.run = run
        self.hook = hook
        self.event = event
        self.depth = depth
    }

    /// The cause of what a hook's primitives record while they run (set around their Swift task),
    /// so an event the engine records for a hook (scale()'s launches) carries it too.
    @TaskLocal public static var current: EventCause?
}

extension Event {
    /// Ties the event to its cause, one deeper than the event the run was on.
    public mutating func caused(by cause: EventCause) {
        causeRun = cause.run
        causeEvent = cause.event
        depth = cause.depth + 1
    }
}
