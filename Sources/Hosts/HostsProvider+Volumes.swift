import Cloud
import Foundation
import Store

/// Volumes on hosts are folders of their host (`ROOT/var/lib/recipe/volumes/ID`), linked at
/// their mount: they outlive the instance, on that host only.
extension HostsProvider {
    public func createVolume(cluster: String, name: String, sizeGB: Int, from snapshot: String?) async throws -> Volume {
        if snapshot != nil { throw unsupported("make a volume from a snapshot") }
        let volume = HostVolume(id: Self.newID("hv-"), cluster: cluster,
                                name: name, sizeGB: sizeGB)
        try store.saveHostVolume(volume)
        return volume.volume
    }

    public func attach(volume id: String, to instance: String, at mount: String) async throws {
        guard var volume = try store.hostVolume(id) else { throw CloudError("volume \(id) is not known") }
        guard let machine = try store.hostMachine(instance: instance) else { throw CloudError("instance \(instance) is not on any registered host") }
        if let home = volume.address, home != machine.address {
            throw CloudError("volume \(id) is a folder of \(home); it cannot be attached to \(machine.name ?? instance) on \(machine.address)")
        }
        let ssh = try shell(machine)
        let prefix = Self.prefix(ssh.address)
        let folder = prefix + "/var/lib/recipe/volumes/" + id, link = prefix + (mount.hasPrefix("/") ? mount : "/" + mount)
        try await ssh.check("""
            mkdir -p \(folder) "$(dirname \(link))" && { [ -L \(link) ] || rmdir \(link) 2>/dev/null || [ ! -e \(link) ]; } && ln -sfn \(folder) \(link)
            """, doing: "attaching volume \(id) at \(mount)")
        (volume.address, volume.instanceID, volume.mount) = (machine.address, instance, mount)
        try store.saveHostVolume(volume)
    }

    public func detach(volume id: String) async throws {
        guard var volume = try store.hostVolume(id), let instance = volume.instanceID else { return }
        if let machine = try store.hostMachine(instance: instance), let mount = volume.mount {
            let ssh = try shell(machine)
            let link = Self.prefix(ssh.address) + (mount.hasPrefix("/") ? mount : "/" + mount)
            let tidy: ShellCommand = ssh.address.root == "/" ? "" : " rmdir \"$(dirname \(link))\" 2>/dev/null;"
            try await ssh.check("if [ -L \(link) ]; then rm -f \(link); fi;\(tidy) true",
                                doing: "detaching volume \(id)")
        }
        volume.instanceID = nil
        try store.saveHostVolume(volume)
    }

    /// The folder removed from its host (reached as the pool's or a registered host), then the record.
    public func deleteVolume(_ id: String) async throws {
        guard let volume = try store.hostVolume(id) else { return }
        if let home = volume.address {
            let address = try HostAddress(parsing: home)
            let ssh = SecureShell(address: address, identity: identity, knownHosts: knownHosts)
            let prefix = Self.prefix(address)
            try await ssh.check("""
                rm -rf \(prefix + "/var/lib/recipe/volumes/" + id); rmdir \(prefix + "/var/lib/recipe/volumes") 2>/dev/null; true
                """, doing: "deleting volume \(id)")
        }
        try store.deleteHostVolume(id)
    }
}
