import Foundation

/// CloudWatch's GetMetricStatistics, for instance metrics on EC2 (the Query protocol again,
/// service "monitoring"). Against a custom endpoint (Eucalyptus, moto) the same URL serves it.
/// Reached through `EC2Provider.metrics`, the provider's one metrics call.
struct CloudWatch: Sendable {
    let client: QueryClient

    init(config: AWSConfig, calls: CallLog) {
        let custom = !(config.endpoint.host ?? "").hasSuffix("amazonaws.com")
        let endpoint = custom ? config.endpoint : URL(string: "https://monitoring.\(config.region).amazonaws.com")!
        client = QueryClient(endpoint: endpoint, version: "2010-08-01",
                             signer: SigV4(credentials: config.credentials, region: config.region, service: "monitoring"), calls: calls)
    }

    struct Datapoint: Sendable, Equatable {
        var time: Date
        var value: Double
    }

    /// `statistic` is Average, Maximum, Minimum, Sum or SampleCount; points come back oldest first.
    func statistics(namespace: String = "AWS/EC2", metric: String, dimensions: [String: String], statistic: String = "Average",
                           period: Int = 60, from start: Date, to end: Date) async throws -> [Datapoint] {
        let iso = ISO8601DateFormatter()
        var params: [(String, String)] = [
            ("Namespace", namespace), ("MetricName", metric), ("Period", String(period)),
            ("StartTime", iso.string(from: start)), ("EndTime", iso.string(from: end)), ("Statistics.member.1", statistic),
        ]
        for (i, (name, value)) in dimensions.sorted(by: { $0.key < $1.key }).enumerated() {
            params += [("Dimensions.member.\(i + 1).Name", name), ("Dimensions.member.\(i + 1).Value", value)]
        }
        return Self.datapoints(try await client.call("GetMetricStatistics", params), statistic: statistic)
    }

    static func datapoints(_ response: XMLNode, statistic: String) -> [Datapoint] {
        let iso = ISO8601DateFormatter()
        return response.all("member").compactMap { point in
            guard let stamp = point.string("Timestamp"), let value = point.string(statistic).flatMap(Double.init) else { return nil }
            return Datapoint(time: iso.date(from: stamp) ?? ISO8601DateFormatter.ec2.date(from: stamp) ?? Date(), value: value)
        }.sorted { $0.time < $1.time }
    }
}
