import Engine
import Foundation
import Hummingbird
import Store

/// A cluster's graphs: CPU, memory, load and every pushed metric over 1 h, 24 h or 30 d, one line
/// per layer (its instances' average), per instance of a layer, or for one instance.
extension Console {
    struct GraphRange: Sendable {
        let name: String, seconds: Double, slots: Int, span: String
        static let all = [GraphRange(name: "1h", seconds: 3600, slots: 60, span: "-1 h"),
                          GraphRange(name: "24h", seconds: 86400, slots: 96, span: "-24 h"),
                          GraphRange(name: "30d", seconds: 30 * 86400, slots: 120, span: "-30 d")]
    }

    /// The heartbeat's own metrics first, in this order; pushed ones after, by name.
    static let knownMetrics: [(name: String, title: String, unit: String, scale: Double)] = [
        ("cpu", "CPU", " %", 1), ("memory", "Memory", " MB", 1 / 1_048_576), ("memory_percent", "Memory", " %", 1), ("load", "Load (1 min)", "", 1),
    ]

    func graphs(_ cluster: String, query: [String: String], _ session: ConsoleSession) async throws -> Response {
        // the status route decides who may look, and names the instances
        let report: StatusReport = try await read(.get, "/api/v1/clusters/{cluster}", parameters: ["cluster": cluster], as: session)
        guard let status = report.clusters.first else { throw APIProblem(404, "no cluster named \(cluster)") }
        guard let range = GraphRange.all.first(where: { $0.name == query["range"] ?? "1h" }) else {
            throw APIProblem(400, "range: '\(query["range"] ?? "")' is not 1h, 24h or 30d")
        }
        let view = query["view"] ?? "layers"
        let shown: [ClusterStatus.InstanceStatus]
        if view.hasPrefix("layer:") {
            shown = status.instances.filter { "layer:" + $0.layer == view }
        } else if view.hasPrefix("instance:") {
            shown = status.instances.filter { "instance:" + $0.name == view }
        } else {
            shown = status.instances
        }
        guard view == "layers" || !shown.isEmpty else { throw APIProblem(404, "cluster \(cluster) has no \(view.replacingOccurrences(of: ":", with: " "))") }
        let points = try api.store.metricSeries(instances: shown.map(\.id), since: Date().addingTimeInterval(-range.seconds), slots: range.slots)
        // a line per layer (averaged) in the overview, else a line per instance
        let line = Dictionary(shown.map { ($0.id, view == "layers" ? $0.layer : $0.name) }, uniquingKeysWith: { a, _ in a })
        let names = Set(points.map(\.name))
        let ordered = Self.knownMetrics.map(\.name).filter(names.contains) + names.subtracting(Self.knownMetrics.map(\.name)).sorted()
        let charts = ordered.map { name -> [String: Any] in
            let known = Self.knownMetrics.first { $0.name == name }
            var sums: [String: [Int: (Double, Int)]] = [:]
            for point in points where point.name == name {
                let label = line[point.instance] ?? point.instance
                let (sum, count) = sums[label, default: [:]][point.slot] ?? (0, 0)
                sums[label, default: [:]][point.slot] = (sum + point.value * (known?.scale ?? 1), count + 1)
            }
            let series = sums.keys.sorted().map { label in
                SVGChart.Series(label: label, values: (0..<range.slots).map { slot in sums[label]![slot].map { $0.0 / Double($0.1) } })
            }
            let title = known.map { "\($0.title)\($0.unit.isEmpty ? "" : " (\($0.unit.trimmingCharacters(in: .whitespaces)))")" } ?? name
            let chart = SVGChart(title: "\(title), \(range.span.dropFirst()) to now", unit: known?.unit ?? "", slots: range.slots, span: range.span, series: series)
            return ["title": title, "svg": chart.svg, "legend": chart.legend]
        }
        let views = [["value": "layers", "label": "every layer", "selected": view == "layers"]]
            + Set(status.instances.map(\.layer)).sorted().map { ["value": "layer:\($0)", "label": "the \($0) layer's instances", "selected": view == "layer:\($0)"] }
            + status.instances.map(\.name).sorted().map { ["value": "instance:\($0)", "label": $0, "selected": view == "instance:\($0)"] }
        let ranges = GraphRange.all.map { r -> [String: Any] in
            var components = URLComponents()
            components.path = "/clusters/\(cluster)/graphs"
            components.queryItems = [URLQueryItem(name: "range", value: r.name), URLQueryItem(name: "view", value: view)]
            return ["label": r.name, "href": components.string ?? components.path, "current": r.name == range.name]
        }
        return page(pages.render("graphs", title: "\(cluster) graphs", [
            "cluster": cluster, "charts": charts, "empty": charts.isEmpty, "views": views, "ranges": ranges, "range": range.name,
            "nav": clusterNav(cluster, current: "graphs"),
        ], session: session), status: .ok)
    }
}
