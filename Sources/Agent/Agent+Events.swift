import Cloud
import Foundation
import LocalCloud
import Store

extension Agent {
    func record(_ kind: String, _ subject: String, detail: String? = nil, result: String = "ok") {
        reports.send(.event(Event(actor: "agent:\(instanceID)", cluster: instance.cluster, kind: kind,
                                  subject: "\(instance.name)/\(subject)", detail: detail, result: result)))
    }
}
