import Cloud
import Foundation
import Store

extension LocalProvider {
    public func createVolume(cluster: String, name: String, sizeGB: Int, from snapshot: String?) async throws -> Volume {
        guard sizeGB > 0 else { throw CloudError("volume \(name): size_gb must be positive, got \(sizeGB)") }
        let volume = Volume(id: Self.newID("vol"), cluster: cluster, name: name, sizeGB: sizeGB, snapshotID: snapshot)
        let folder = paths.volume(volume.id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if let snapshot {
            guard let record = try inventory.snapshot(snapshot) else { throw CloudError("snapshot \(snapshot) does not exist") }
            let archive = paths.snapshot(snapshot)
            let digest = try Digest.sha256(of: archive)
            guard digest == record.sha256 else {
                try? FileManager.default.removeItem(at: folder)
                throw CloudError("snapshot \(snapshot) is damaged: its SHA-256 is \(digest), expected \(record.sha256)")
            }
            do {
                try await Self.tar(["-xzf", archive.path, "-C", folder.path])
            } catch {
                try? FileManager.default.removeItem(at: folder)  // a half-restored volume is not a volume
                throw CloudError("volume \(name) from snapshot \(snapshot) could not be restored and was removed: \(error)")
            }
        }
        try inventory.save(volume)
        record("volume.created", cluster: cluster, subject: volume.id,
               detail: UsageTags(cause: UsageTags.currentCause(default: "manual"), provider: "local", sizeGB: sizeGB)
                   .appended(to: "\(name), \(sizeGB) GB" + (snapshot.map { " from \($0)" } ?? "")))
        return volume
    }

    /// Attaching links the mount point inside the instance root to the volume's folder.
    public func attach(volume id: String, to instanceID: String, at mount: String) async throws {
        guard var volume = try inventory.volume(id) else { throw CloudError("volume \(id) does not exist") }
        let instance = try instance(instanceID)
        if let holder = volume.instanceID, holder != instanceID {
            throw CloudError("volume \(id) is attached to \(holder); detach it first")
        }
        let point = try mountPoint(mount, in: instanceID)
        try FileManager.default.createDirectory(at: point.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: point.path) {
            guard existing == paths.volume(id).path else { throw CloudError("\(instance.name):\(mount) already holds another volume") }
        } else {
            if FileManager.default.fileExists(atPath: point.path) {
                let contents = (try? FileManager.default.contentsOfDirectory(atPath: point.path)) ?? []
                guard contents.isEmpty else { throw CloudError("\(instance.name):\(mount) is not empty") }
                try FileManager.default.removeItem(at: point)
            }
            try FileManager.default.createSymbolicLink(at: point, withDestinationURL: paths.volume(id))
        }
        volume.instanceID = instanceID
        volume.mount = mount
        try inventory.save(volume)
        record("volume.attached", cluster: volume.cluster, subject: id, detail: "\(instance.name):\(mount)")
    }

    public func detach(volume id: String) async throws {
        guard var volume = try inventory.volume(id) else { throw CloudError("volume \(id) does not exist") }
        guard let holder = volume.instanceID, let mount = volume.mount else { return }
        if let point = try? mountPoint(mount, in: holder) { try? FileManager.default.removeItem(at: point) }
        volume.instanceID = nil
        volume.mount = nil
        try inventory.save(volume)
        record("volume.detached", cluster: volume.cluster, subject: id, detail: "from \(holder)")
    }

    public func deleteVolume(_ id: String) async throws {
        guard let volume = try inventory.volume(id) else { throw CloudError("volume \(id) does not exist") }
        if volume.instanceID != nil { try await detach(volume: id) }
        try? FileManager.default.removeItem(at: paths.volume(id))
        try inventory.deleteVolume(id)
        record("volume.deleted", cluster: volume.cluster, subject: id)
    }

    /// A snapshot is a gzip'd tar of the volume's folder, named by id, with its SHA-256 recorded.
    /// It is refused before anything is written when the snapshots' disk has less room than the
    /// volume's files take (plus a reserve), and written under a temporary name: a snapshot that
    /// fails (the disk filling meanwhile) leaves no partial archive, and every other one as it was.
    public func snapshot(volume id: String, cluster: String) async throws -> Snapshot {
        guard let volume = try inventory.volume(id) else { throw CloudError("volume \(id) does not exist") }
        let snapshotID = Self.newID("snap")
        let archive = paths.snapshot(snapshotID)
        let folder = archive.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let needed = DiskSpace.bytes(under: paths.volume(id)) + Self.snapshotReserve
        if let disk = DiskSpace.of(folder.path), disk.freeBytes < needed {
            throw CloudError("snapshot of \(volume.name) (\(id)) refused: it may need \(DiskSpace.size(needed)) "
                + "and \(folder.path) has \(DiskSpace.size(disk.freeBytes)) free (\(disk.summary)); nothing was written")
        }
        let partial = folder.appendingPathComponent(".\(snapshotID).partial")
        do {
            try await Self.tar(["-czf", partial.path, "-C", paths.volume(id).path, "."])
            try FileManager.default.moveItem(at: partial, to: archive)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            let disk = DiskSpace.of(folder.path)
            throw CloudError("snapshot of \(volume.name) (\(id)) failed and was removed: \(error)"
                + (disk.map { "; \(folder.path) is \($0.summary)" } ?? ""))
        }
        let bytes = (try FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? Int64) ?? 0
        let snapshot = Snapshot(id: snapshotID, cluster: volume.cluster, volumeID: id, sizeGB: volume.sizeGB,
                                sha256: try Digest.sha256(of: archive), bytes: bytes)
        do {
            try inventory.save(snapshot)
        } catch {
            try? FileManager.default.removeItem(at: archive)  // an archive no record names would only take room
            throw error
        }
        record("snapshot.created", cluster: volume.cluster, subject: snapshotID, detail: "of \(id), \(bytes) bytes")
        return snapshot
    }

    /// Room a snapshot leaves beyond what its volume's files take: the state and logs on the
    /// same disk must keep working.
    static let snapshotReserve: Int64 = 8 << 20

    public func deleteSnapshot(_ id: String) async throws {
        guard let snapshot = try inventory.snapshot(id) else { return }
        try? FileManager.default.removeItem(at: paths.snapshot(id))
        try inventory.deleteSnapshot(id)
        record("snapshot.deleted", cluster: snapshot.cluster, subject: id)
    }

    /// Volumes here keep their names and mounts in the Store: nothing to do.
    public func keepVolumes(_ volumes: [Volume]) async throws {}

    /// The folder a mount point names inside the instance root; never outside it.
    func mountPoint(_ mount: String, in instance: String) throws -> URL {
        do {
            return try inside(instance).resolve(mount, followLast: false)
        } catch {
            throw CloudError("mount point \(mount): \(error)")
        }
    }

    static func tar(_ arguments: [String]) async throws {
        try await Tool.check("tar", arguments)
    }
}
