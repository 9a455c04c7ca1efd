import Cloud
import Foundation
import Store

extension LocalProvider {
    public func allocateAddress(cluster: String) async throws -> Address {
        let address = try inventory.allocateAddress(cluster: cluster, block: LocalAddresses.elasticBlock)
        record("address.allocated", cluster: cluster, subject: address.ip)
        return address
    }

    /// Moves the address; the holder's agent starts forwarding it on its next heartbeat.
    public func associate(address ip: String, with instanceID: String) async throws {
        guard let address = try inventory.address(ip) else { throw CloudError("address \(ip) is not allocated") }
        let instance = try instance(instanceID)
        try inventory.associate(address: ip, with: instanceID)
        record("address.associated", cluster: address.cluster, subject: ip, detail: instance.name)
    }

    public func releaseAddress(_ ip: String) async throws {
        guard let address = try inventory.address(ip) else { return }
        try inventory.deleteAddress(ip)
        record("address.released", cluster: address.cluster, subject: ip)
    }
}
