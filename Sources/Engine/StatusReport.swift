import Cloud
import Foundation

/// `recipe status --json` and `GET /api/v1/clusters[/NAME]`: the clusters, and the disk of the home.
public struct StatusReport: Codable, Sendable {
    public var clusters: [ClusterStatus]
    public var home: HomeDisk?

    public init(clusters: [ClusterStatus], home: HomeDisk?) {
        self.clusters = clusters
        self.home = home
    }

    /// The home's filesystem: how full, and whether that is near full (90 % used or more).
    public struct HomeDisk: Codable, Sendable {
        public var path: String
        public var used_percent: Double
        public var free_bytes: Int64
        public var near_full: Bool

        public init(_ disk: DiskSpace) {
            path = disk.path
            used_percent = (disk.usedPercent * 10).rounded() / 10
            free_bytes = disk.freeBytes
            near_full = disk.nearFull
        }
    }
}
