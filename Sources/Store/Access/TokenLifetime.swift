import Foundation

/// `--expires`: a count and a unit (`90m`, `12h`, `30d`, `8w`), or `never`.
public enum TokenLifetime {
    public static let longest: TimeInterval = 366 * 86_400

    /// Seconds the token lives (nil: never expires).
    public static func parse(_ text: String) throws -> TimeInterval? {
        if text == "never" { return nil }
        let units: [Character: TimeInterval] = ["m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int(text.dropLast()), count > 0 else {
            throw AccessError("--expires '\(text)' is not a lifetime such as 90m, 12h, 30d, 8w or never")
        }
        let seconds = TimeInterval(count) * unit
        guard seconds <= longest else { throw AccessError("--expires '\(text)' is longer than 366 days; use never for a token that does not expire") }
        return seconds
    }
}
