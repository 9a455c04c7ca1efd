import Foundation

/// On-demand prices in integer micro-dollars, so costs add up without float drift: an instance
/// type's price per hour and a volume type's per GB-month, by region. Read from a CSV:
///
///     # as of 2026-11-01
///     kind,region,name,usd
///     instance,us-east-1,t3.micro,0.0104
///     volume,us-east-1,gp3,0.08
public struct PriceTable: Sendable, Equatable {
    /// The `# as of DATE` line's date, when the file has one.
    public var asOf: String?
    var instances: [String: Int64] = [:]
    var volumes: [String: Int64] = [:]

    public init(asOf: String? = nil) { self.asOf = asOf }

    public func hourly(type: String, region: String) -> Int64? { instances[region + "/" + type] }
    public func monthly(volume type: String, region: String) -> Int64? { volumes[region + "/" + type] }

    public mutating func set(instance type: String, region: String, microsPerHour: Int64) { instances[region + "/" + type] = microsPerHour }
    public mutating func set(volume type: String, region: String, microsPerGBMonth: Int64) { volumes[region + "/" + type] = microsPerGBMonth }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Reads a price file; a bad line is an error naming `name:line`.
    public init(csv text: String, name: String) throws {
        self.init()
        var sawHeader = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            let fail = { (why: String) in ParseError(description: "\(name):\(index + 1): \(why)") }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if let range = line.range(of: "as of ") {
                    let date = line[range.upperBound...].prefix { $0.isNumber || $0 == "-" }
                    if !date.isEmpty { asOf = String(date) }
                }
                continue
            }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if !sawHeader {
                guard fields == ["kind", "region", "name", "usd"] else { throw fail("the header must be kind,region,name,usd, got '\(line)'") }
                sawHeader = true
                continue
            }
            guard fields.count == 4 else { throw fail("expected 4 fields (kind,region,name,usd), got \(fields.count)") }
            guard !fields[1].isEmpty, !fields[2].isEmpty else { throw fail("region and name must not be empty") }
            guard let micros = Self.micros(fields[3]) else { throw fail("'\(fields[3])' is not a price in USD such as 0.0104") }
            switch fields[0] {
            case "instance": set(instance: fields[2], region: fields[1], microsPerHour: micros)
            case "volume": set(volume: fields[2], region: fields[1], microsPerGBMonth: micros)
            default: throw fail("kind must be instance or volume, got '\(fields[0])'")
            }
        }
        guard sawHeader else { throw ParseError(description: "\(name): no header line kind,region,name,usd") }
    }

    public static func load(_ url: URL) throws -> PriceTable {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ParseError(description: "\(url.path): cannot be read")
        }
        return try PriceTable(csv: text, name: url.path)
    }

    /// `0.0104` → 10400: at most six decimals, no sign, no exponent.
    static func micros(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy(\.isASCII), parts[0].allSatisfy(\.isNumber),
              let whole = Int64(parts[0]), whole < 1_000_000 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            fraction = Int64(digits.padding(toLength: 6, withPad: "0", startingAt: 0))!
        }
        return whole * 1_000_000 + fraction
    }

    /// Micro-dollars as `12.345678` (six decimals, exact).
    public static func dollars(_ micros: Int64) -> String {
        let sign = micros < 0 ? "-" : ""
        let m = abs(micros)
        let fraction = String(m % 1_000_000)
        return "\(sign)\(m / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
