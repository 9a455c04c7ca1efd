import Engine
import LuaKit

/// How the scheduler runs one hook: its budget, its retries and whether it runs alone.
public struct HookOptions: Sendable, Equatable {
    /// Seconds the hook may run before it is stopped and recorded as failed.
    public var budget: Double = 10
    /// Runs again after a failure or an interrupted run (a crashed scheduler), up to `times` more.
    public var retryTimes = 0
    public var retryBackoff: Double = 1
    /// At most one exclusive hook runs at a time per cluster (healing and scaling never race).
    public var exclusive = false

    public init() {}

    /// `{ budget = 10, retry = { times = 3, backoff = "2s" }, exclusive = true }`, each part checked.
    init(_ value: LuaValue, _ context: String) throws {
        guard case .table(let t) = value else {
            if value.isNil { return }
            throw PrimitiveError("\(context): options must be a table such as { retry = { times = 3 }, exclusive = true }")
        }
        if let unknown = t.fields.keys.sorted().first(where: { !["budget", "retry", "exclusive"].contains($0) }) {
            throw PrimitiveError("\(context): unknown option '\(unknown)' (budget, retry, exclusive)")
        }
        if !t["budget"].isNil { budget = try Self.seconds(t["budget"], "\(context): budget") }
        if case .table(let retry) = t["retry"] {
            guard let times = retry["times"].intValue, times >= 0, times <= 100 else {
                throw PrimitiveError("\(context): retry.times must be a count from 0 to 100")
            }
            retryTimes = Int(times)
            if !retry["backoff"].isNil { retryBackoff = try Self.seconds(retry["backoff"], "\(context): retry.backoff") }
        } else if !t["retry"].isNil {
            throw PrimitiveError("\(context): retry must be { times = N, backoff = \"2s\" }")
        }
        if case .bool(let b) = t["exclusive"] { exclusive = b }
    }

    /// A duration given as "30s" or as a number of seconds.
    static func seconds(_ value: LuaValue, _ context: String) throws -> Double {
        do {
            if let text = value.stringValue { return try Interval.seconds(text) }
            if let number = value.doubleValue, number > 0 { return number }
        } catch {
            throw PrimitiveError("\(context): \(error)")
        }
        throw PrimitiveError("\(context): expected a duration such as \"30s\" or a number of seconds, got \(value.description)")
    }
}

/// `on("instance.failed", fn)`: runs for every event whose kind matches (`deploy.*` matches a family).
public struct EventHook: Sendable {
    public let key: String
    public let pattern: String
    public let function: LuaFunction
    public let options: HookOptions

    public func matches(_ kind: String) -> Bool {
        pattern.hasSuffix(".*") ? kind.hasPrefix(pattern.dropLast()) : kind == pattern
    }
}

/// `every("30s", fn)` or `at("0 3 * * *", fn)`.
public struct TimerHook: Sendable {
    public enum Schedule: Sendable, Equatable {
        case every(Double)
        case cron(Cron)
    }

    public let key: String
    public let schedule: Schedule
    public let function: LuaFunction
    public let options: HookOptions
}

/// `when{ cluster, layer, metric, stat, above | below, sustain, cooldown }(fn)`.
public struct AlarmHook: Sendable {
    public enum Stat: String, Sendable, CaseIterable { case avg, max, min, p95 }

    public let key: String
    public let cluster: String
    public let layer: String
    public let metric: String
    public let stat: Stat
    public let above: Double?
    public let below: Double?
    /// Seconds the condition must hold before the hook runs.
    public let sustain: Double
    /// Seconds after a run before the alarm may fire again.
    public let cooldown: Double
    public let function: LuaFunction
    public let options: HookOptions

    /// Whether `value` is past the threshold.
    public func breached(_ value: Double) -> Bool {
        if let above, value > above { return true }
        if let below, value < below { return true }
        return false
    }
}

/// What a recipe registered for the scheduler, in registration order.
struct ScheduledHooks {
    var events: [EventHook] = []
    var timers: [TimerHook] = []
    var alarms: [AlarmHook] = []
    private var counts: [String: Int] = [:]

    /// A key that names the hook across restarts: the recipe, what it is, and its ordinal.
    mutating func key(_ recipe: String, _ what: String) -> String {
        counts[what, default: 0] += 1
        return "\(recipe)#\(what)#\(counts[what]!)"
    }
}
