import Cloud
import Foundation

extension EC2Provider {
    /// DescribeInstanceStatus for these instances: the ones whose instance or system status
    /// check is impaired, id → what EC2 says.
    public func statusChecks(cluster: String, instances: [String]) async throws -> [String: String] {
        guard !instances.isEmpty else { return [:] }
        var params = Params()
        params.add("InstanceId", instances)
        var failing: [String: String] = [:]
        try await client.paginate("DescribeInstanceStatus", params.list) { page in
            failing.merge(Self.impaired(in: page)) { $1 }
        }
        return failing
    }

    /// The impaired instances of one DescribeInstanceStatus page, id → what EC2 says.
    static func impaired(in page: XMLNode) -> [String: String] {
        var failing: [String: String] = [:]
        for item in page.items("instanceStatusSet") {
            guard let id = item.string("instanceId") else { continue }
            let system = item.string("systemStatus/status") ?? "ok"
            let own = item.string("instanceStatus/status") ?? "ok"
            if system == "impaired" || own == "impaired" {
                failing[id] = "status checks impaired (system \(system), instance \(own))"
            }
        }
        return failing
    }

    /// A CloudWatch metric (CPUUtilization, NetworkIn, ...) of each instance, one-minute averages.
    public func metrics(cluster: String, instances: [String], name: String, since: Date) async throws -> [MetricSample] {
        let watch = CloudWatch(config: config, calls: client.calls)
        let perInstance = try await all(instances.map { id in
            { @Sendable in
                try await watch.statistics(metric: name, dimensions: ["InstanceId": id], from: since, to: Date())
                    .map { MetricSample(instance: id, time: $0.time, value: $0.value) }
            }
        })
        return perInstance.flatMap { $0 }.sorted { $0.time < $1.time }
    }

    /// `ec2: 16 API calls (9 changing, 0 retried): AllocateAddress 1, ...`
    public var callReport: String? {
        guard calls.total > 0 else { return nil }
        let actions = calls.byAction.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "ec2: \(calls.total) API calls (\(calls.mutating) changing, \(calls.retried) retried): \(actions)"
    }
}
