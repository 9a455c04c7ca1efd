import Cloud

/// A duration as recipes write it: "500ms", "30s", "5m", "1h", "1d", or a number of seconds.
public enum Interval {
    public static func seconds(_ text: String) throws -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "5m" must not be read as "5" + "m" of "ms"
            if suffix == "s", number.hasSuffix("m") { continue }
            if let value = Double(number), value.isFinite, value > 0 { return value * scale }
            break
        }
        if let value = Double(text), value.isFinite, value > 0 { return value }
        throw CloudError("'\(text)' is not a duration above zero (such as 500ms, 30s, 5m, 1h or 1d)")
    }
}
