import Cloud
import Store
import Foundation

extension EC2Provider {
    struct RawVolume {
        var id: String
        var sizeGB: Int
        var snapshot: String?
        var attachment: (instance: String, device: String)?
        var tags: [String: String]
        var created: Date
    }

    func describeVolumes(cluster: String) async throws -> [RawVolume] {
        var params = Params()
        params.filters([("tag:\(Tag.cluster)", [cluster])])
        return try await describeVolumes(params)
    }

    func describeVolumes(attachedTo instances: [String]) async throws -> [RawVolume] {
        var params = Params()
        params.filters([("attachment.instance-id", instances)])
        return try await describeVolumes(params)
    }

    private func describeVolumes(_ params: Params) async throws -> [RawVolume] {
        var volumes: [RawVolume] = []
        try await client.paginate("DescribeVolumes", params.list) { page in
            for item in page.items("volumeSet") {
                let attachment = item.items("attachmentSet").first { $0.string("status") != "detached" }
                volumes.append(RawVolume(
                    id: item.string("volumeId") ?? "?", sizeGB: Int(item.string("size") ?? "") ?? 0,
                    snapshot: item.string("snapshotId").flatMap { $0.isEmpty ? nil : $0 },
                    attachment: attachment.flatMap { a in a.string("instanceId").map { ($0, a.string("device") ?? "") } },
                    tags: item.tags,
                    created: item.string("createTime").flatMap { ISO8601DateFormatter.ec2.date(from: $0) } ?? Date()))
            }
        }
        return volumes
    }

    /// Names volumes `slot:disk` from the instance they are attached to (its disks tag), or from
    /// their own tag once detached.
    func name(_ volumes: [RawVolume], by instances: [Found]) -> [Volume] {
        volumes.map { raw in
            var volume = Volume(id: raw.id, cluster: raw.tags[Tag.cluster] ?? "", name: raw.tags[Tag.volume] ?? "",
                                sizeGB: raw.sizeGB, snapshotID: raw.snapshot, createdAt: raw.created)
            volume.mount = raw.tags[Tag.mount]
            if let (instanceID, device) = raw.attachment {
                volume.instanceID = instanceID
                if let owner = instances.first(where: { $0.instance.id == instanceID }), let (disk, mount) = owner.disks[device] {
                    volume.name = "\(owner.instance.name):\(disk)"
                    volume.mount = mount
                }
            }
            return volume
        }
    }

    public func createVolume(cluster: String, name: String, sizeGB: Int, from snapshot: String?) async throws -> Volume {
        var params = Params()
        params.add("Size", String(sizeGB))
        params.add("AvailabilityZone", config.region + "a")
        if let snapshot { params.add("SnapshotId", snapshot) }
        params.tagSpecifications(["volume"], [(Tag.cluster, cluster), (Tag.volume, name)])
        let response = try await call("CreateVolume", params, about: "volume \(name)")
        let volume = Volume(id: response.string("volumeId") ?? "?", cluster: cluster, name: name, sizeGB: sizeGB, snapshotID: snapshot)
        report("volume.created", cluster: cluster, subject: volume.id,
               detail: UsageTags(cause: UsageTags.currentCause(default: "manual"), region: config.region, provider: kind, sizeGB: sizeGB)
                   .appended(to: name))
        return volume
    }

    /// Attaches at the first free device from /dev/sdf; the mount point is kept as a tag for setup hooks.
    public func attach(volume: String, to instance: String, at mount: String) async throws {
        let used = Set(try await describeVolumes(attachedTo: [instance]).compactMap { $0.attachment?.device })
        guard let device = (0..<11).map({ "/dev/sd" + String(UnicodeScalar(UInt8(ascii: "f") + UInt8($0))) })
            .first(where: { !used.contains($0) }) else { throw CloudError("instance \(instance) has no free device for \(volume)") }
        var params = Params()
        params.add("VolumeId", volume)
        params.add("InstanceId", instance)
        params.add("Device", device)
        _ = try await call("AttachVolume", params, about: "volume \(volume)")
        var tag = Params()
        tag.add("ResourceId.1", volume)
        tag.add("Tag.1.Key", Tag.mount)
        tag.add("Tag.1.Value", mount)
        _ = try await call("CreateTags", tag)
    }

    public func detach(volume: String) async throws {
        var params = Params()
        params.add("VolumeId", volume)
        _ = try await call("DetachVolume", params, about: "volume \(volume)")
    }

    /// Waits out a volume still detaching from a terminating instance.
    public func deleteVolume(_ id: String) async throws {
        var params = Params()
        params.add("VolumeId", id)
        for attempt in 0..<30 {
            do {
                _ = try await client.call("DeleteVolume", params.list)
                return
            } catch let error as AWSError where error.code == "VolumeInUse" && attempt < 29 {
                try await Task.sleep(nanoseconds: 2_000_000_000)
            } catch let error as AWSError {
                throw CloudError("volume \(id): \(error)")
            }
        }
    }

    /// Tags each volume with its slot:disk name and mount point (one CreateTags per volume).
    public func keepVolumes(_ volumes: [Volume]) async throws {
        for volume in volumes where !volume.name.isEmpty {
            var params = Params()
            params.add("ResourceId.1", volume.id)
            params.add("Tag.1.Key", Tag.volume)
            params.add("Tag.1.Value", volume.name)
            if let mount = volume.mount {
                params.add("Tag.2.Key", Tag.mount)
                params.add("Tag.2.Value", mount)
            }
            _ = try await call("CreateTags", params)
        }
    }
}
