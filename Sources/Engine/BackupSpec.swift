/// One entry of a cluster's `backups = { LAYER = { every = "1h", keep = 24 } }`, as declared.
/// Stdlib/backup runs it and fills in what is left out (nil here); the engine only records it,
/// so `c:spec()` and clones keep it.
public struct BackupSpec: Codable, Sendable, Equatable {
    /// Seconds between two snapshots of each of the layer's volumes.
    public var every: Double?
    /// Snapshots kept per volume; older ones are deleted.
    public var keep: Int?

    public init(every: Double? = nil, keep: Int? = nil) {
        self.every = every
        self.keep = keep
    }
}
