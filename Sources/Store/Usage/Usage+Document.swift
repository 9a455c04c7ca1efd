import Foundation

extension Usage.Report {
    /// The `--json` document: hours as exact decimals of seconds, money as six-decimal strings
    /// (never floats), and `null` cost where some piece had no price.
    public struct Document: Codable, Sendable {
        public var since: String
        public var until: String
        public var by: String
        public var pricesAsOf: String?
        public var rows: [Line]
        public var total: Line
        public var warnings: [String]
    }

    public struct Line: Codable, Sendable {
        public var key: String
        public var instanceSeconds: Int64
        public var instanceHours: String
        public var volumeGBMonths: String
        public var costUSD: String?
    }

    public func document(pricesAsOf: String?) -> Document {
        Document(since: Self.iso(since), until: Self.iso(until), by: by.rawValue, pricesAsOf: pricesAsOf,
                 rows: rows.map(Self.line), total: Self.line(total), warnings: warnings)
    }

    static func line(_ row: Usage.Row) -> Line {
        Line(key: row.key, instanceSeconds: row.instanceSeconds, instanceHours: hours(row.instanceSeconds),
             volumeGBMonths: PriceTable.dollars(row.volumeMicroGBMonths), costUSD: row.cost.map(PriceTable.dollars))
    }

    /// Seconds as hours with six decimals (rounded half up; exact for whole minutes to 1e-6).
    public static func hours(_ seconds: Int64) -> String {
        PriceTable.dollars(Usage.divideRounding(seconds * 1_000_000, 3600))
    }

    /// Seconds as `H:MM` (whole minutes, rounded down), for the table.
    public static func hoursMinutes(_ seconds: Int64) -> String {
        let minutes = seconds / 60
        let m = String(minutes % 60)
        return "\(minutes / 60):" + (m.count < 2 ? "0" + m : m)
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
