import Cloud
import Foundation

/// The firewall as security groups: one per layer that has rules or is a rule's source;
/// layer-to-layer rules are group-to-group permissions.
extension EC2Provider {
    struct Group {
        var id: String
        var layer: String
        var rules: [FirewallRule]
    }

    func describeGroups(cluster: String) async throws -> [Group] {
        var params = Params()
        params.filters([("tag:\(Tag.cluster)", [cluster])])
        var items: [XMLNode] = []
        try await client.paginate("DescribeSecurityGroups", params.list) { items += $0.items("securityGroupInfo") }
        var layerOf: [String: String] = [:]
        for item in items {
            if let id = item.string("groupId"), let layer = item.tags[Tag.layer] { layerOf[id] = layer }
        }
        return items.compactMap { item in
            guard let id = item.string("groupId"), let layer = item.tags[Tag.layer] else { return nil }
            cache.setGroup(cluster, layer, id)
            let rules = item.items("ipPermissions").flatMap { permission -> [FirewallRule] in
                guard let port = Int(permission.string("fromPort") ?? "") else { return [] }
                let proto = permission.string("ipProtocol") ?? "tcp"
                let cidrs = permission.items("ipRanges").compactMap { $0.string("cidrIp") }
                let layers = permission.items("groups").compactMap { $0.string("groupId").flatMap { layerOf[$0] } }
                return (cidrs + layers).map { FirewallRule(layer: layer, port: port, proto: proto, source: $0) }
            }
            return Group(id: id, layer: layer, rules: rules)
        }
    }

    func describeFirewall(cluster: String) async throws -> [FirewallRule] {
        try await describeGroups(cluster: cluster).flatMap(\.rules)
    }

    /// Creates the groups it needs, authorizes what is missing and revokes what is no longer
    /// declared: one call per group and direction. Groups no layer needs are deleted when free.
    public func applyFirewall(cluster: String, rules: [FirewallRule]) async throws {
        let groups = try await describeGroups(cluster: cluster)
        let needed = Set(rules.map(\.layer) + rules.map(\.source).filter { !$0.contains("/") })
        let missing = needed.sorted().filter { cache.group(cluster, $0) == nil }
        let vpc = missing.isEmpty ? nil : try await subnetVPC()
        for layer in missing {
            var params = Params()
            params.add("GroupName", "\(cluster)-\(layer)")
            params.add("GroupDescription", "recipe cluster \(cluster), layer \(layer)")
            if let vpc { params.add("VpcId", vpc) }
            params.tagSpecifications(["security-group"], [(Tag.cluster, cluster), (Tag.layer, layer)])
            let response = try await call("CreateSecurityGroup", params, about: "firewall \(layer)")
            cache.setGroup(cluster, layer, response.string("groupId"))
        }
        let current = Dictionary(grouping: groups.flatMap(\.rules), by: \.layer)
        let declared = Dictionary(grouping: rules, by: \.layer)
        for layer in Set(current.keys).union(declared.keys).sorted() {
            guard let group = cache.group(cluster, layer) else { continue }
            let have = Set(current[layer] ?? []), want = Set(declared[layer] ?? [])
            try await change("AuthorizeSecurityGroupIngress", group, cluster, want.subtracting(have).sorted())
            try await change("RevokeSecurityGroupIngress", group, cluster, have.subtracting(want).sorted())
        }
        for group in groups where !needed.contains(group.layer) {
            var params = Params()
            params.add("GroupId", group.id)
            if (try? await client.call("DeleteSecurityGroup", params.list)) != nil { cache.setGroup(cluster, group.layer, nil) }
        }
    }

    /// The VPC of provider.subnet, where the groups must live for its instances to use them; nil
    /// without a subnet (the default VPC's groups).
    private func subnetVPC() async throws -> String? {
        guard let subnet else { return nil }
        var params = Params()
        params.add("SubnetId.1", subnet)
        let response = try await call("DescribeSubnets", params, about: "provider.subnet \(subnet)")
        guard let vpc = response.items("subnetSet").first?.string("vpcId") else {
            throw CloudError("provider.subnet \(subnet): no such subnet in region \(config.region)")
        }
        return vpc
    }

    private func change(_ action: String, _ group: String, _ cluster: String, _ rules: [FirewallRule]) async throws {
        guard !rules.isEmpty else { return }
        var params = Params()
        params.add("GroupId", group)
        for (i, rule) in rules.enumerated() {
            let p = "IpPermissions.\(i + 1)"
            params.add("\(p).IpProtocol", rule.proto)
            params.add("\(p).FromPort", String(rule.port))
            params.add("\(p).ToPort", String(rule.port))
            if rule.source.contains("/") {
                params.add("\(p).IpRanges.1.CidrIp", rule.source)
            } else if let source = cache.group(cluster, rule.source) {
                params.add("\(p).Groups.1.GroupId", source)
            }
        }
        _ = try await call(action, params, about: "firewall \(rules[0].layer)")
    }
}
