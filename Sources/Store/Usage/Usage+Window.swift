import Foundation

extension Usage {
    /// The window `recipe usage` and `GET …/usage` count over: a calendar month, or since/until
    /// (each a UTC date), or this month; a bad one is refused with the CLI's flag names.
    public static func window(month: String?, since: String?, until: String?, now: Date = Date()) throws -> (Date, Date) {
        if month != nil && (since != nil || until != nil) { throw UsageError("--month and --since/--until: choose one") }
        if let month {
            guard let window = Usage.month(month) else { throw UsageError("--month: '\(month)' is not a month such as 2026-11") }
            return window
        }
        let thisMonth = Usage.month(monthName(of: now))!
        if since == nil && until == nil { return thisMonth }
        func instant(_ text: String?, _ flag: String, _ fallback: Date) throws -> Date {
            guard let text else { return fallback }
            guard let date = Usage.instant(text) else { throw UsageError("\(flag): '\(text)' is not a UTC date such as 2026-11-03 or 2026-11-03T10:00") }
            return date
        }
        let to = try instant(until, "--until", now)
        let from = try instant(since, "--since", thisMonth.0)
        guard from < to else { throw UsageError("--since \(Report.iso(from)) is not before --until \(Report.iso(to))") }
        return (from, to)
    }

    /// `2026-11`: the UTC month of `date`.
    public static func monthName(of date: Date) -> String {
        let c = utcComponents(date)
        return String(format: "%04d-%02d", c.year, c.month)
    }

    /// `--by`'s dimension, or why not.
    public static func dimension(_ text: String) throws -> Dimension {
        guard let dimension = Dimension(rawValue: text) else {
            throw UsageError("--by: '\(text)' is not one of \(Dimension.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return dimension
    }
}

/// A usage request that cannot be answered as asked (a bad month, window or dimension).
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
