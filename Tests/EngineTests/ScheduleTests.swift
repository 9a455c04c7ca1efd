import Engine
import Foundation
import Testing

/// Cron schedules and durations as recipes write them.
@Suite struct ScheduleTests {
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func cronFindsTheNextMatchingMinute() throws {
        let daily = try Cron("0 3 * * *")
        #expect(daily.next(after: Self.date("2026-11-29T04:00:00Z")) == Self.date("2026-11-30T03:00:00Z"))
        #expect(daily.next(after: Self.date("2026-11-29T02:59:30Z")) == Self.date("2026-11-29T03:00:00Z"))
        let quarter = try Cron("*/15 * * * *")
        #expect(quarter.next(after: Self.date("2026-11-29T04:00:00Z")) == Self.date("2026-11-29T04:15:00Z"))
        // weekdays at 09:30: from Saturday to Monday
        let weekdays = try Cron("30 9 * * 1-5")
        #expect(weekdays.next(after: Self.date("2026-11-28T12:00:00Z")) == Self.date("2026-11-30T09:30:00Z"))
        // both day fields restricted: either matches (the 1st, or a Sunday)
        let either = try Cron("0 0 1 * 0")
        #expect(either.next(after: Self.date("2026-11-28T12:00:00Z")) == Self.date("2026-11-29T00:00:00Z"))
        // in a time zone: 03:00 in Paris is 02:00 UTC in winter
        let paris = try Cron("0 3 * * *", timeZone: "Europe/Paris")
        #expect(paris.next(after: Self.date("2026-11-29T04:00:00Z")) == Self.date("2026-11-30T02:00:00Z"))
        // the 31st skips the months without one
        let last = try Cron("0 0 31 * *")
        #expect(last.next(after: Self.date("2026-11-01T00:00:00Z")) == Self.date("2026-12-31T00:00:00Z"))
    }

    @Test func cronRefusesWhatItCannotRead() {
        for (text, message) in [
            ("0 3 * * * *", "has 6 fields; 5 are expected"),
            ("61 * * * *", "minute '61' is outside 0-59"),
            ("* * 0 * *", "day of month '0' is outside 1-31"),
            ("*/0 * * * *", "has a bad step"),
            ("a * * * *", "'a' is not a valid minute"),
        ] {
            #expect(error(text).contains(message), "\(text): \(error(text))")
        }
        #expect(throws: (any Error).self) { try Cron("0 3 * * *", timeZone: "Mars/Olympus") }
    }

    func error(_ text: String) -> String {
        do { _ = try Cron(text); return "" } catch { return "\(error)" }
    }

    @Test func durations() throws {
        #expect(try Interval.seconds("500ms") == 0.5)
        #expect(try Interval.seconds("30s") == 30)
        #expect(try Interval.seconds("5m") == 300)
        #expect(try Interval.seconds("2h") == 7200)
        #expect(try Interval.seconds("1d") == 86400)
        #expect(try Interval.seconds("90") == 90)
        for bad in ["0s", "-1m", "soon", "", "5x"] {
            #expect(throws: (any Error).self) { try Interval.seconds(bad) }
        }
    }
}
