import Cloud
import Foundation

/// Instance-hours, volume GB-months and their cost from the event log, for a window: a pure
/// computation (events, window, prices in; rows out). Every quantity is an integer (seconds,
/// micro-GB-months, micro-dollars) and each interval piece is rounded once, so a row is the exact
/// sum of its pieces and the total the exact sum of the rows.
///
/// An instance runs from `instance.launched`/`started` to `stopped`/`terminated`, a volume from
/// `volume.created` to `volume.deleted`; what still runs counts up to the window's end or `now`,
/// whichever is first. GB-months follow AWS: GB × seconds held ÷ seconds in that calendar month
/// (UTC), so a piece crossing months is split at the boundary.
public enum Usage {
    public enum Dimension: String, CaseIterable, Sendable {
        case cluster, layer, user, cause, instanceType = "instance_type"
    }

    /// What one row adds up: its key, and the quantities of its pieces.
    public struct Row: Sendable, Equatable, Encodable {
        public var key: String
        public var instanceSeconds: Int64 = 0
        public var volumeMicroGBMonths: Int64 = 0
        /// Micro-dollars of the priced pieces.
        public var costMicros: Int64 = 0
        /// Some piece had no price (an unknown type or region): the row's cost is unknown.
        public var unpriced = false

        public init(key: String) { self.key = key }

        public var cost: Int64? { unpriced ? nil : costMicros }

        mutating func add(_ other: Row) {
            instanceSeconds += other.instanceSeconds
            volumeMicroGBMonths += other.volumeMicroGBMonths
            costMicros += other.costMicros
            unpriced = unpriced || other.unpriced
        }
    }

    public struct Report: Sendable, Equatable {
        public var since: Date
        public var until: Date
        public var by: Dimension
        public var rows: [Row]
        public var total: Row
        /// One line per type and region without a price.
        public var warnings: [String]
    }

    /// What a running resource is attributed to.
    struct Attribution: Equatable {
        var cluster: String
        var layer: String
        var user: String
        var cause: String
        var type: String
        var region: String
        var provider: String
        var sizeGB: Int
        var isVolume: Bool
    }

    /// The provider and region of each cluster, for events that do not carry them.
    public struct ClusterInfo: Sendable {
        public var provider: String
        public var region: String?
        public init(provider: String, region: String?) {
            self.provider = provider
            self.region = region
        }
    }

    public static let defaultVolumeType = "gp3"

    public static func report(events: [Event], since: Date, until: Date, now: Date, by: Dimension, prices: PriceTable,
                              clusters: [String: ClusterInfo] = [:]) -> Report {
        let end = min(until, now)
        var open: [String: (Date, Attribution)] = [:]
        var pieces: [(Attribution, Date, Date)] = []
        var launchedAs: [String: Attribution] = [:]
        func close(_ key: String, at time: Date) {
            if let (start, who) = open.removeValue(forKey: key) { pieces.append((who, start, time)) }
        }
        for event in events.sorted(by: { ($0.time, $0.id ?? 0) < ($1.time, $1.id ?? 0) }) {
            guard let subject = event.subject, let cluster = event.cluster else { continue }
            let tags = UsageTags(detail: event.detail)
            let info = clusters[cluster]
            switch event.kind {
            case "instance.launched", "instance.started":
                let key = "i/" + subject
                if open[key] != nil { continue }  // a start of a running instance adds nothing
                let before = launchedAs[key]
                let who = Attribution(cluster: cluster, layer: tags.layer ?? before?.layer ?? "-", user: event.actor,
                                      cause: tags.cause ?? "manual",
                                      type: tags.instanceType ?? before?.type ?? "-",
                                      region: tags.region ?? before?.region ?? info?.region ?? "-",
                                      provider: tags.provider ?? before?.provider ?? info?.provider ?? "-", sizeGB: 0, isVolume: false)
                launchedAs[key] = who
                open[key] = (event.time, who)
            case "instance.stopped", "instance.terminated":
                close("i/" + subject, at: event.time)
            case "volume.created":
                let key = "v/" + subject
                let size = tags.sizeGB ?? sizeFromDetail(event.detail) ?? 0
                open[key] = (event.time, Attribution(cluster: cluster, layer: tags.layer ?? "-", user: event.actor,
                                                     cause: tags.cause ?? "manual", type: tags.instanceType ?? defaultVolumeType,
                                                     region: tags.region ?? info?.region ?? "-",
                                                     provider: tags.provider ?? info?.provider ?? "-", sizeGB: size, isVolume: true))
            case "volume.deleted":
                close("v/" + subject, at: event.time)
            default:
                continue
            }
        }
        for (start, who) in open.values { pieces.append((who, start, end)) }

        var rows: [String: Row] = [:]
        var missing: Set<String> = []
        for (who, start, stop) in pieces {
            let from = max(start, since), to = min(stop, end)
            guard to > from else { continue }
            let key = Self.key(who, by)
            var row = rows[key] ?? Row(key: key)
            if who.isVolume {
                for (a, b) in monthPieces(from, to) {
                    let seconds = Int64(b.timeIntervalSince1970) - Int64(a.timeIntervalSince1970)
                    let monthSeconds = secondsInMonth(of: a)
                    row.volumeMicroGBMonths += divideRounding(Int64(who.sizeGB) * seconds * 1_000_000, monthSeconds)
                    if who.provider == "local" { continue }
                    if let price = prices.monthly(volume: who.type, region: who.region) {
                        row.costMicros += divideRounding(Int64(who.sizeGB) * seconds * price, monthSeconds)
                    } else {
                        row.unpriced = true
                        missing.insert("volume type \(who.type) in \(who.region)")
                    }
                }
            } else {
                let seconds = Int64(to.timeIntervalSince1970) - Int64(from.timeIntervalSince1970)
                row.instanceSeconds += seconds
                if who.provider != "local" {
                    if let price = prices.hourly(type: who.type, region: who.region) {
                        row.costMicros += divideRounding(seconds * price, 3600)
                    } else {
                        row.unpriced = true
                        missing.insert("instance type \(who.type) in \(who.region)")
                    }
                }
            }
            rows[key] = row
        }
        let sorted = rows.values.sorted { $0.key < $1.key }
        var total = Row(key: "total")
        for row in sorted { total.add(row) }
        let warnings = missing.sorted().map { "no price for \($0): its hours are counted, its cost is unknown" }
        return Report(since: since, until: until, by: by, rows: sorted, total: total, warnings: warnings)
    }

    static func key(_ who: Attribution, _ by: Dimension) -> String {
        switch by {
        case .cluster: who.cluster
        case .layer: who.cluster + "/" + who.layer
        case .user: who.user
        case .cause: who.cause
        case .instanceType: who.isVolume ? "volume:" + who.type : who.type
        }
    }

    /// `a / b` rounded half up (both non-negative).
    static func divideRounding(_ a: Int64, _ b: Int64) -> Int64 { (a + b / 2) / b }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    public static func utcComponents(_ date: Date) -> (year: Int, month: Int) {
        let c = utc.dateComponents([.year, .month], from: date)
        return (c.year!, c.month!)
    }

    static func monthStart(_ date: Date) -> Date {
        utc.date(from: utc.dateComponents([.year, .month], from: date))!
    }

    static func secondsInMonth(of date: Date) -> Int64 {
        let start = monthStart(date)
        let next = utc.date(byAdding: .month, value: 1, to: start)!
        return Int64(next.timeIntervalSince(start))
    }

    /// `from..<to` cut at UTC month boundaries.
    static func monthPieces(_ from: Date, _ to: Date) -> [(Date, Date)] {
        var result: [(Date, Date)] = []
        var a = from
        while a < to {
            let next = utc.date(byAdding: .month, value: 1, to: monthStart(a))!
            let b = min(next, to)
            result.append((a, b))
            a = b
        }
        return result
    }

    /// `data, 20 GB` (the local provider's volume.created detail) → 20.
    static func sizeFromDetail(_ detail: String?) -> Int? {
        guard let detail, let range = detail.range(of: " GB") else { return nil }
        let digits = detail[..<range.lowerBound].reversed().prefix { $0.isNumber }
        return Int(String(digits.reversed()))
    }

    /// `2026-11` → that month's first second and the next month's, in UTC.
    public static func month(_ text: String) -> (Date, Date)? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
              (1...12).contains(month), let start = utc.date(from: DateComponents(year: year, month: month, day: 1)) else { return nil }
        return (start, utc.date(byAdding: .month, value: 1, to: start)!)
    }

    /// `2026-11-03`, `2026-11-03T10:00`, `2026-11-03T10:00:00Z` (UTC) → the date.
    public static func instant(_ text: String) -> Date? {
        let formats = ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ssX", "yyyy-MM-dd'T'HH:mmX"]
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
