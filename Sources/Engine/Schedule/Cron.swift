import Cloud
import Foundation

/// A 5-field cron schedule (minute hour day-of-month month day-of-week), evaluated in a time zone
/// (UTC unless given). Fields take `*`, numbers, ranges `a-b`, lists `a,b` and steps `*/n`, `a-b/n`;
/// day-of-week 0 or 7 is Sunday. As in Vixie cron, when both day fields are restricted, either matches.
public struct Cron: Sendable, Equatable {
    let minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    let anyDay: Bool, anyWeekday: Bool
    public let timeZone: TimeZone

    public init(_ text: String, timeZone name: String? = nil) throws {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            throw CloudError("cron '\(text)' has \(fields.count) fields; 5 are expected: minute hour day-of-month month day-of-week")
        }
        guard let zone = TimeZone(identifier: name ?? "UTC") else { throw CloudError("unknown time zone '\(name ?? "")'") }
        timeZone = zone
        minutes = try Self.field(fields[0], 0...59, "minute", in: text)
        hours = try Self.field(fields[1], 0...23, "hour", in: text)
        days = try Self.field(fields[2], 1...31, "day of month", in: text)
        months = try Self.field(fields[3], 1...12, "month", in: text)
        weekdays = Set(try Self.field(fields[4], 0...7, "day of week", in: text).map { $0 % 7 })
        anyDay = fields[2] == "*"
        anyWeekday = fields[4] == "*"
    }

    /// The first matching minute strictly after `date`.
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // the next whole minute (zones are whole minutes off UTC, so a UTC minute is one everywhere)
        var candidate = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        // at most four years of minutes, skipping whole hours and days that cannot match
        for _ in 0..<(4 * 366 * 24 * 60) {
            let c = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: candidate)
            let (minute, hour, day, month, weekday) = (c.minute!, c.hour!, c.day!, c.month!, c.weekday! - 1)
            let dayMatches = anyDay && anyWeekday ? true
                : anyDay ? weekdays.contains(weekday)
                : anyWeekday ? days.contains(day)
                : days.contains(day) || weekdays.contains(weekday)
            if !months.contains(month) || !dayMatches {
                candidate = calendar.startOfDay(for: candidate).addingTimeInterval(86400 + 1)
                candidate = calendar.startOfDay(for: candidate)
                continue
            }
            if !hours.contains(hour) {
                candidate = candidate.addingTimeInterval(Double(60 - minute) * 60)
                continue
            }
            if minutes.contains(minute) { return candidate }
            candidate = candidate.addingTimeInterval(60)
        }
        return nil
    }

    static func field(_ text: String, _ range: ClosedRange<Int>, _ name: String, in whole: String) throws -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2, let base = pieces.first, !base.isEmpty else {
                throw CloudError("cron '\(whole)': '\(part)' is not a valid \(name)")
            }
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else { throw CloudError("cron '\(whole)': '\(part)' has a bad step") }
            let bounds: ClosedRange<Int>
            if base == "*" {
                bounds = range
            } else if let dash = base.firstIndex(of: "-"), let lo = Int(base[..<dash]), let hi = Int(base[base.index(after: dash)...]), lo <= hi {
                bounds = lo...hi
            } else if let single = Int(base) {
                bounds = single...(pieces.count == 2 ? range.upperBound : single)
            } else {
                throw CloudError("cron '\(whole)': '\(part)' is not a valid \(name)")
            }
            guard range.contains(bounds.lowerBound), range.contains(bounds.upperBound) else {
                throw CloudError("cron '\(whole)': \(name) '\(part)' is outside \(range.lowerBound)-\(range.upperBound)")
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }
}
