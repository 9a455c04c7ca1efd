import Cloud
import Foundation

extension EC2Provider {
    /// Tagged with the cluster, so `snapshots(cluster:)` finds it with one filtered describe.
    public func snapshot(volume: String, cluster: String) async throws -> Snapshot {
        var params = Params()
        params.add("VolumeId", volume)
        params.tagSpecifications(["snapshot"], [(Tag.cluster, cluster)])
        let response = try await call("CreateSnapshot", params, about: "volume \(volume)")
        return Snapshot(id: response.string("snapshotId") ?? "?", cluster: cluster, volumeID: volume,
                        sizeGB: Int(response.string("volumeSize") ?? "") ?? 0, sha256: "", bytes: 0,
                        createdAt: response.string("startTime").flatMap { ISO8601DateFormatter.ec2.date(from: $0) } ?? Date())
    }

    /// The account's own snapshots tagged with the cluster, oldest first.
    public func snapshots(cluster: String) async throws -> [Snapshot] {
        var params = Params()
        params.add("Owner.1", "self")
        params.filters([("tag:\(Tag.cluster)", [cluster])])
        var snapshots: [Snapshot] = []
        try await client.paginate("DescribeSnapshots", params.list) { page in
            for item in page.items("snapshotSet") {
                snapshots.append(Snapshot(
                    id: item.string("snapshotId") ?? "?", cluster: cluster, volumeID: item.string("volumeId") ?? "",
                    sizeGB: Int(item.string("volumeSize") ?? "") ?? 0, sha256: "", bytes: 0,
                    createdAt: item.string("startTime").flatMap { ISO8601DateFormatter.ec2.date(from: $0) } ?? Date()))
            }
        }
        return snapshots.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func deleteSnapshot(_ id: String) async throws {
        var params = Params()
        params.add("SnapshotId", id)
        _ = try await call("DeleteSnapshot", params, about: "snapshot \(id)")
    }
}
