import Foundation
import Hummingbird
import Store

/// A cluster's usage in a month: instance-hours, volume GB-months and cost, by layer and by
/// cause (declared, scaled, healed, manual), as `recipe usage` counts them.
extension Console {
    func usage(_ cluster: String, month asked: String?, _ session: ConsoleSession) async throws -> Response {
        let month = asked ?? Usage.monthName(of: Date())
        var tables: [[String: Any]] = []
        var warnings: [String] = []
        for (dimension, title) in [("layer", "By layer"), ("cause", "By cause")] {
            let report: Usage.Report.Document = try await read(.get, "/api/v1/clusters/{cluster}/usage", parameters: ["cluster": cluster],
                                                               query: ["month": month, "by": dimension], as: session)
            tables.append(["title": title, "dimension": dimension, "rows": report.rows.map(Self.usageLine), "total": Self.usageLine(report.total),
                           "empty": report.rows.isEmpty])
            warnings = report.warnings
        }
        // this month and the five before it
        var months: [String] = []
        var day = Date()
        for _ in 0..<6 {
            let name = Usage.monthName(of: day)
            months.append(name)
            day = Usage.month(name)!.0.addingTimeInterval(-86400)
        }
        return page(pages.render("usage", title: "\(cluster) usage", [
            "cluster": cluster, "month": month, "tables": tables, "warnings": warnings,
            "months": months.map { ["name": $0, "href": "/clusters/\(cluster)/usage?month=\($0)", "current": $0 == month] },
            "nav": clusterNav(cluster, current: "usage"),
        ], session: session), status: .ok)
    }

    static func usageLine(_ line: Usage.Report.Line) -> [String: Any] {
        ["key": line.key, "hours": Usage.Report.hoursMinutes(line.instanceSeconds), "volumes": line.volumeGBMonths,
         "cost": line.costUSD.map { "$" + $0 } ?? "no price"]
    }
}
