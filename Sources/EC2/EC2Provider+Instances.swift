import Cloud
import Store
import Foundation

extension EC2Provider {
    struct Found {
        var instance: Instance
        /// Data disks by device: (name, mount).
        var disks: [String: (String, String)]
    }

    func describeInstances(cluster: String) async throws -> [Found] {
        var params = Params()
        params.filters([("tag:\(Tag.cluster)", [cluster]), ("instance-state-name", ["pending", "running", "stopping", "stopped"])])
        var found: [Found] = []
        try await client.paginate("DescribeInstances", params.list) { page in
            for reservation in page.items("reservationSet") {
                for item in reservation.items("instancesSet") { found.append(Self.instance(item, cluster: cluster)) }
            }
        }
        for one in found { cache.learn(one.instance, disks: one.disks) }
        return found.sorted { ($0.instance.layer, $0.instance.name) < ($1.instance.layer, $1.instance.name) }
    }

    /// An instance as the API describes it; its slot name comes from its batch's slots tag and its launch index.
    static func instance(_ item: XMLNode, cluster: String) -> Found {
        let tags = item.tags
        let id = item.string("instanceId") ?? "?"
        let layer = tags[Tag.layer] ?? "unknown"
        let slots = SlotRanges.parse(tags[Tag.slots] ?? "")
        let index = Int(item.string("amiLaunchIndex") ?? "") ?? 0
        let name = index < slots.count ? "\(layer)-\(slots[index])" : "\(layer)-\(id)"
        var state: Instance.State
        switch item.string("instanceState/name") {
        case "pending": state = .pending
        case "stopping": state = .stopping
        case "stopped": state = .stopped
        case "running": state = Instance.State(rawValue: tags[Tag.status] ?? "") ?? .running
        default: state = .terminated
        }
        if state == .pending, tags[Tag.status] != nil { state = .pending }
        var disks: [String: (String, String)] = [:]
        for entry in (tags[Tag.disks] ?? "").split(separator: ";") {
            let parts = entry.split(separator: "=", maxSplits: 2).map(String.init)
            if parts.count == 3 { disks[parts[1]] = (parts[0], parts[2]) }
        }
        let launched = item.string("launchTime").flatMap { ISO8601DateFormatter.ec2.date(from: $0) } ?? Date()
        var instance = Instance(id: id, cluster: cluster, layer: layer, name: name, state: state,
                                privateIP: item.string("privateIpAddress") ?? "", createdAt: launched)
        instance.publicIP = item.string("ipAddress").flatMap { $0.isEmpty ? nil : $0 }
        return Found(instance: instance, disks: disks)
    }

    /// One RunInstances per layer (or per instance when its disks come from different snapshots,
    /// or when some slots keep a surviving volume and so need fewer new disks).
    public func launch(_ specs: [InstanceSpec]) async throws -> [Instance] {
        var batches: [[InstanceSpec]] = []
        for (_, group) in Dictionary(grouping: specs, by: \.layer).sorted(by: { $0.key < $1.key }) {
            let sameDisks = group.allSatisfy { $0.disks == group[0].disks }
            if !sameDisks || group.contains(where: { $0.disks.contains { $0.snapshot != nil } }) {
                batches += group.map { [$0] }
            } else {
                batches.append(group)
            }
        }
        return try await all(batches.map { batch in { try await self.runInstances(batch) } }).flatMap { $0 }
    }

    private func runInstances(_ batch: [InstanceSpec]) async throws -> [Instance] {
        let first = batch[0]
        guard let image = first.image else {
            throw CloudError("layer \(first.layer): image is required on ec2 (an AMI id such as ami-12c6146b)")
        }
        let slots = batch.compactMap { Int($0.name.split(separator: "-").last ?? "") }
        let devices = first.disks.indices.map { "/dev/sd" + String(UnicodeScalar(UInt8(ascii: "f") + UInt8($0))) }
        var params = Params()
        params.add("ImageId", image)
        params.add("InstanceType", first.instanceType ?? "t3.micro")
        params.add("MinCount", String(batch.count))
        params.add("MaxCount", String(batch.count))
        // The same token on every retry: a retried RunInstances never launches twice.
        params.add("ClientToken", UUID().uuidString)
        if let group = cache.group(first.cluster, first.layer) { params.add("SecurityGroupId.1", group) }
        if let subnet { params.add("SubnetId", subnet) }
        for (i, disk) in first.disks.enumerated() {
            params.add("BlockDeviceMapping.\(i + 1).DeviceName", devices[i])
            params.add("BlockDeviceMapping.\(i + 1).Ebs.VolumeSize", String(disk.sizeGB))
            params.add("BlockDeviceMapping.\(i + 1).Ebs.DeleteOnTermination", "false")
            if let snapshot = disk.snapshot { params.add("BlockDeviceMapping.\(i + 1).Ebs.SnapshotId", snapshot) }
        }
        let diskTag = zip(first.disks, devices).map { "\($0.name)=\($1)=\($0.mount)" }.joined(separator: ";")
        var tags = [(Tag.cluster, first.cluster), (Tag.layer, first.layer), (Tag.slots, SlotRanges.format(slots)),
                    ("Name", "\(first.cluster)/\(first.layer)")]
        if !diskTag.isEmpty { tags.append((Tag.disks, diskTag)) }
        params.tagSpecifications(first.disks.isEmpty ? ["instance"] : ["instance", "volume"], tags)
        // one user data for the whole launch: its bootstrap secret opens one token per instance it started
        let bootstrap = try agents?.bootstrap(interval: first.heartbeat)
        if let bootstrap { params.add("UserData", Data(bootstrap.userData.utf8).base64EncodedString()) }
        let response = try await call("RunInstances", params, about: "layer \(first.layer)")
        let usage = UsageTags(cause: UsageTags.currentCause(default: "manual"), layer: first.layer,
                             instanceType: first.instanceType ?? "t3.micro", region: config.region, provider: kind)
        let launched = response.items("instancesSet").map {
            let found = Self.instance($0, cluster: first.cluster)
            cache.learn(found.instance, disks: found.disks)
            report("instance.launched", cluster: first.cluster, subject: found.instance.id,
                   detail: usage.appended(to: "\(found.instance.name) at \(found.instance.privateIP)"))
            return found.instance
        }
        if let bootstrap {
            // each agent is told its services (the layer's: the same for the whole batch)
            let described = launched.map { instance in
                var instance = instance
                instance.services = first.services
                return instance
            }
            try agents?.bind(bootstrap, instances: described, cluster: first.cluster)
        }
        return launched
    }

    func report(_ kind: String, cluster: String, subject: String, detail: String? = nil) {
        recorder(LifeEvent(kind: kind, cluster: cluster, subject: subject, detail: detail, actor: actor))
    }

    public func stop(_ ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        var params = Params()
        params.add("InstanceId", ids)
        let response = try await call("StopInstances", params)
        reportChanges(response, "instance.stopped")
    }

    /// Stop and start answer each instance's id; its cluster comes from what describe learnt.
    private func reportChanges(_ response: XMLNode, _ kind: String) {
        for item in response.items("instancesSet") {
            guard let id = item.string("instanceId"), let cluster = cache.cluster(of: id) else { continue }
            report(kind, cluster: cluster, subject: id,
                   detail: kind == "instance.started" ? UsageTags(cause: UsageTags.currentCause(default: "manual"), region: config.region,
                                                                  provider: self.kind).appended(to: id) : nil)
        }
    }

    public func start(_ ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        var params = Params()
        params.add("InstanceId", ids)
        let response = try await call("StartInstances", params)
        reportChanges(response, "instance.started")
    }

    /// Volumes outlive their instance (DeleteOnTermination is off): they are tagged with their
    /// slot first, so a later launch of that slot can take them back.
    public func terminate(_ ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        let found = try await describeInstancesByID(ids)
        try await keepVolumes(name(try await describeVolumes(attachedTo: ids), by: found))
        var params = Params()
        params.add("InstanceId", ids)
        _ = try await call("TerminateInstances", params)
        try agents?.forget(ids)
        for f in found { report("instance.terminated", cluster: f.instance.cluster, subject: f.instance.id, detail: f.instance.name) }
    }

    private func describeInstancesByID(_ ids: [String]) async throws -> [Found] {
        var params = Params()
        params.add("InstanceId", ids)
        var found: [Found] = []
        try await client.paginate("DescribeInstances", params.list) { page in
            for reservation in page.items("reservationSet") {
                for item in reservation.items("instancesSet") {
                    found.append(Self.instance(item, cluster: item.tags[Tag.cluster] ?? ""))
                }
            }
        }
        return found
    }

    /// One CreateTags for every instance that reached the same status.
    public func setStatus(_ ids: [String], _ state: Instance.State) async throws {
        guard !ids.isEmpty else { return }
        var params = Params()
        params.add("ResourceId", ids)
        params.add("Tag.1.Key", Tag.status)
        params.add("Tag.1.Value", state.rawValue)
        _ = try await call("CreateTags", params)
    }
}

extension ISO8601DateFormatter {
    /// Shared: Foundation's formatters are thread-safe, but not marked Sendable, hence `unsafe`;
    /// it is configured here once and only read from then on.
    nonisolated(unsafe) static let ec2: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
