import Foundation
import Store

extension Agent {
    /// Keeps one forwarder per (elastic IP, service port) for the addresses this instance holds.
    func syncForwarders() {
        // an unreadable state keeps the forwarders there are (it is not "no addresses")
        guard let ips = (try? inventory.addresses(of: instanceID))?.map(\.ip) else { return }
        let ports = instance.services.compactMap(\.port)
        var wanted: Set<String> = []
        for ip in ips {
            for port in ports { wanted.insert("\(ip):\(port)") }
        }
        for (key, forwarder) in forwarders where !wanted.contains(key) {
            forwarder.close()
            forwarders[key] = nil
        }
        for key in wanted where forwarders[key] == nil {
            let parts = key.split(separator: ":")
            guard let port = UInt16(parts[1]) else { continue }
            do {
                forwarders[key] = try Forwarder(from: String(parts[0]), port: port, to: instance.privateIP, targetPort: port)
            } catch {
                record("address.forward", key, result: "failed: \(error)")
            }
        }
    }
}
