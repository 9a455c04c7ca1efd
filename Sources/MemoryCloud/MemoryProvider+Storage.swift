import Cloud
import Foundation

extension MemoryProvider {
    public func createVolume(cluster: String, name: String, sizeGB: Int, from snapshot: String?) async throws -> Volume {
        try check("createVolume")
        let now = clock()
        let volume = try mutate { s in
            if let snapshot, s.snapshots[snapshot] == nil { throw CloudError("snapshot \(snapshot) does not exist") }
            let volume = Volume(id: s.nextID("vol"), cluster: cluster, name: name, sizeGB: sizeGB, snapshotID: snapshot, createdAt: now)
            s.volumes[volume.id] = volume
            return volume
        }
        report("volume.created", cluster: cluster, subject: volume.id,
               detail: tags(sizeGB: sizeGB).appended(to: "\(name), \(sizeGB) GB" + (snapshot.map { " from \($0)" } ?? "")), at: now)
        return volume
    }

    public func attach(volume: String, to instance: String, at mount: String) async throws {
        try check("attach")
        try mutate { s in
            guard let found = s.volumes[volume] else { throw CloudError("volume \(volume) does not exist") }
            _ = try self.instance(instance, in: s)
            if let holder = found.instanceID, holder != instance { throw CloudError("volume \(volume) is attached to \(holder)") }
            s.volumes[volume]?.instanceID = instance
            s.volumes[volume]?.mount = mount
        }
    }

    public func detach(volume: String) async throws {
        try check("detach")
        try mutate { s in
            guard s.volumes[volume] != nil else { throw CloudError("volume \(volume) does not exist") }
            s.volumes[volume]?.instanceID = nil
        }
    }

    public func deleteVolume(_ id: String) async throws {
        try check("deleteVolume")
        let volume = try mutate { s in
            guard let volume = s.volumes.removeValue(forKey: id) else { throw CloudError("volume \(id) does not exist") }
            return volume
        }
        report("volume.deleted", cluster: volume.cluster, subject: id, at: clock())
    }

    public func snapshot(volume: String, cluster: String) async throws -> Snapshot {
        try check("snapshot")
        let now = clock()
        let taken = try mutate { s in
            guard let found = s.volumes[volume] else { throw CloudError("volume \(volume) does not exist") }
            let snapshot = Snapshot(id: s.nextID("snap"), cluster: cluster, volumeID: volume, sizeGB: found.sizeGB,
                                    sha256: "", bytes: 0, createdAt: now)
            s.snapshots[snapshot.id] = snapshot
            return snapshot
        }
        report("snapshot.created", cluster: cluster, subject: taken.id, detail: "of \(volume)", at: now)
        return taken
    }

    public func snapshots(cluster: String) async throws -> [Snapshot] {
        state.value.snapshots.values.filter { $0.cluster == cluster }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func deleteSnapshot(_ id: String) async throws {
        try check("deleteSnapshot")
        try mutate { s in
            guard s.snapshots.removeValue(forKey: id) != nil else { throw CloudError("snapshot \(id) does not exist") }
        }
    }

    /// Kept volumes keep their names here already: nothing forgets an attachment.
    public func keepVolumes(_ volumes: [Volume]) async throws {}

    public func allocateAddress(cluster: String) async throws -> Address {
        try check("allocateAddress")
        let now = clock()
        return mutate { s in
            let address = Address(ip: "203.0.113.\(s.addresses.count % 254 + 1)", cluster: cluster, createdAt: now)
            s.addresses[address.ip] = address
            return address
        }
    }

    public func associate(address ip: String, with instance: String) async throws {
        try check("associate")
        try mutate { s in
            guard s.addresses[ip] != nil else { throw CloudError("address \(ip) is not allocated") }
            _ = try self.instance(instance, in: s)
            for (id, i) in s.instances where i.publicIP == ip { s.instances[id]?.publicIP = nil }
            s.addresses[ip]?.instanceID = instance
            s.instances[instance]?.publicIP = ip
        }
    }

    public func releaseAddress(_ ip: String) async throws {
        try check("releaseAddress")
        mutate { s in
            for (id, i) in s.instances where i.publicIP == ip { s.instances[id]?.publicIP = nil }
            s.addresses[ip] = nil
        }
    }

    public func applyFirewall(cluster: String, rules: [FirewallRule]) async throws {
        try check("applyFirewall")
        mutate { $0.firewall[cluster] = rules }
    }

    public func applyKeys(cluster: String, keys: [String: String]) async throws {
        mutate { $0.keys[cluster] = keys }
    }
}
