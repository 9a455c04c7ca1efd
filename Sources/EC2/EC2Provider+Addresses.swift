import Cloud
import Foundation

extension EC2Provider {
    func describeAddresses(cluster: String) async throws -> [Address] {
        var params = Params()
        params.filters([("tag:\(Tag.cluster)", [cluster])])
        let response = try await call("DescribeAddresses", params)
        return response.items("addressesSet").compactMap { item in
            guard let ip = item.string("publicIp") else { return nil }
            let allocation = item.string("allocationId")
            cache.setAllocation(ip, allocation)
            return Address(ip: ip, cluster: cluster, instanceID: item.string("instanceId").flatMap { $0.isEmpty ? nil : $0 },
                           allocationID: allocation)
        }
    }

    public func allocateAddress(cluster: String) async throws -> Address {
        var params = Params()
        params.add("Domain", "vpc")
        params.tagSpecifications(["elastic-ip"], [(Tag.cluster, cluster)])
        let response = try await call("AllocateAddress", params, about: "elastic ip for \(cluster)")
        guard let ip = response.string("publicIp") else { throw CloudError("AllocateAddress answered without an address") }
        let allocation = response.string("allocationId")
        cache.setAllocation(ip, allocation)
        return Address(ip: ip, cluster: cluster, allocationID: allocation)
    }

    public func associate(address ip: String, with instance: String) async throws {
        var params = Params()
        if let allocation = try await allocationID(ip) { params.add("AllocationId", allocation) } else { params.add("PublicIp", ip) }
        params.add("InstanceId", instance)
        params.add("AllowReassociation", "true")
        _ = try await call("AssociateAddress", params, about: "elastic ip \(ip)")
    }

    public func releaseAddress(_ ip: String) async throws {
        var params = Params()
        if let allocation = try await allocationID(ip) { params.add("AllocationId", allocation) } else { params.add("PublicIp", ip) }
        _ = try await call("ReleaseAddress", params, about: "elastic ip \(ip)")
        cache.setAllocation(ip, nil)
    }

    private func allocationID(_ ip: String) async throws -> String? {
        if let known = cache.allocation(ip) { return known }
        var params = Params()
        params.add("PublicIp.1", ip)
        return try await call("DescribeAddresses", params).items("addressesSet").first?.string("allocationId")
    }
}
