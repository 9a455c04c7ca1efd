import Foundation

/// A line chart as inline SVG, drawn on the server: one line per series over equal time slots,
/// a y axis from 0 to a round maximum, and the slots' start, middle and end marked relative to
/// now ("-24 h"), so no time zone is involved. Every label is escaped; the SVG is the
/// controller's own markup, which the page puts in unescaped.
struct SVGChart: Sendable {
    struct Series: Sendable {
        var label: String
        /// One value per slot; nil where nothing was sampled.
        var values: [Double?]
    }

    var title: String
    var unit: String
    var slots: Int
    /// What the first slot's start is, as the x axis says it: "-1 h".
    var span: String
    var series: [Series]

    /// Colours at ≥ 4.5:1 on white, told apart by the legend too.
    static let palette = ["#0a3069", "#a40e26", "#116329", "#8a4600", "#6639ba", "#0b6a75", "#7d4e00", "#4a5360"]

    static let (width, height, left, bottom, top, right) = (640.0, 200.0, 70.0, 26.0, 10.0, 10.0)

    var svg: String {
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        let top = Self.roundUp(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0)
        func x(_ slot: Int) -> Double { Self.left + plotWidth * (Double(slot) + 0.5) / Double(max(slots, 1)) }
        func y(_ value: Double) -> Double { Self.top + plotHeight * (1 - value / top) }
        var parts = ["<svg class=\"chart\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" role=\"img\" aria-label=\"\(Self.escaped(title))\">"]
        for step in 0...2 {
            let value = top * Double(step) / 2
            let at = Self.format(y(value))
            parts.append("<line x1=\"\(Int(Self.left))\" x2=\"\(Int(Self.width - Self.right))\" y1=\"\(at)\" y2=\"\(at)\" stroke=\"#d0d7de\"/>")
            parts.append("<text x=\"\(Int(Self.left - 6))\" y=\"\(at)\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"15\" fill=\"#4a5360\">\(Self.escaped(Self.label(value) + unit))</text>")
        }
        for (text, anchor, at) in [(span, "start", Self.left), ("", "middle", Self.left + plotWidth / 2), ("now", "end", Self.width - Self.right)] where !text.isEmpty {
            parts.append("<text x=\"\(Self.format(at))\" y=\"\(Int(Self.height - 6))\" text-anchor=\"\(anchor)\" font-size=\"15\" fill=\"#4a5360\">\(Self.escaped(text))</text>")
        }
        for (index, line) in series.enumerated() {
            // a gap in the samples is a gap in the line
            var runs: [[String]] = [[]]
            for (slot, value) in line.values.enumerated() {
                if let value { runs[runs.count - 1].append("\(Self.format(x(slot))),\(Self.format(y(value)))") } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
            }
            let colour = Self.palette[index % Self.palette.count]
            for run in runs where !run.isEmpty {
                parts.append(run.count == 1
                    ? "<circle cx=\"\(run[0].split(separator: ",")[0])\" cy=\"\(run[0].split(separator: ",")[1])\" r=\"2\" fill=\"\(colour)\"/>"
                    : "<polyline points=\"\(run.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>")
            }
        }
        parts.append("</svg>")
        return parts.joined()
    }

    /// The legend's entries: each series' label and its colour's class (console.css: c0 … c7).
    var legend: [[String: String]] {
        series.enumerated().map { ["label": $0.element.label, "class": "c\($0.offset % Self.palette.count)"] }
    }

    /// 1, 2 or 5 times a power of ten at or above `value` (1 for nothing).
    static func roundUp(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= value } ?? 10 * power
    }

    static func label(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: value < 1 ? "%.2f" : "%.1f", value)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
