import Foundation

extension Agent {
    /// Seconds between looks at the cluster's users: a revoked login is gone within 10 s.
    static let loginsInterval = 5.0

    /// The cluster's users as logins inside the instance's root, the files a remote agent makes on
    /// its machine (`home/NAME/.ssh/authorized_keys`, `etc/sudoers.d/recipe-NAME`).
    func syncLogins() {
        guard let users = try? store.machineUsers(cluster: instance.cluster) else { return }
        let root = paths.root(of: instanceID)
        let logins = MachineLogins(root: root, managed: root.appendingPathComponent("var/lib/recipe-agent/users"))
        let changes = logins.apply(users)
        if !changes.isEmpty { log.line("logins: " + changes.joined(separator: "; ")) }
    }
}
