import Engine
import Foundation

/// What a scale or a run changed, as the API answers it: names, not the engine's records.
struct ConvergeSummary: Codable {
    struct Failure: Codable {
        var kind, cluster, instance, message: String
    }

    var cluster: String
    var layer: String?
    var count: Int?
    var changed: Bool
    var launched: [String]
    var terminated: [String]
    var online: [String]
    var failures: [Failure]

    init(_ report: ConvergeReport, cluster: String, layer: String? = nil, count: Int? = nil) {
        (self.cluster, self.layer, self.count, changed) = (cluster, layer, count, report.changed)
        launched = report.launched.map(\.name)
        terminated = report.terminated
        online = report.online
        failures = report.failures.map(Failure.init)
    }
}

extension ConvergeSummary.Failure {
    init(_ failure: HookFailure) {
        (kind, cluster, instance, message) = ("\(failure.kind)", failure.cluster, failure.instance, failure.message)
    }
}
