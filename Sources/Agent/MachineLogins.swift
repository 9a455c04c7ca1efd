import Cloud
import Foundation
import Store

/// Makes the machine's logins exactly its cluster's users (as the controller lists them to a
/// remote agent, or as the Store has them for a local one, inside its instance's root): each
/// one's key in `ROOT/home/NAME/.ssh/authorized_keys` and, with sudo, `ROOT/etc/sudoers.d/recipe-NAME`.
/// On a machine of its own (root `/`, run as root) the account is made first with useradd. A user
/// no longer listed loses both files at the next sync; the account stays, with no key to enter by.
/// The names it manages are kept in its state folder, so it never touches anyone else's.
struct MachineLogins {
    let root: URL
    /// `users`: the names this agent gave logins to, one a line.
    let managed: URL

    /// Applies the list; what changed, for the agent's log.
    func apply(_ users: [AgentDocuments.MachineUser]) -> [String] {
        var changes: [String] = []
        let wanted = users.filter { Names.problem($0.name, as: .user) == nil }
        let before = Set(((try? String(contentsOf: managed, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init))
        for user in wanted {
            let keys = path("home/\(user.name)/.ssh/authorized_keys")
            let sudoers = path("etc/sudoers.d/recipe-\(user.name)")
            let keyLine = user.sshKey.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
            let sudoLine = "\(user.name) ALL=(ALL) NOPASSWD:ALL\n"
            let hasKey = (try? String(contentsOf: keys, encoding: .utf8)) == keyLine
            let hasSudo = FileManager.default.fileExists(atPath: sudoers.path)
            guard !hasKey || hasSudo != user.sudo else { continue }
            if root.path == "/" && getuid() == 0 { makeAccount(user.name) }
            write(keyLine, to: keys, mode: 0o600, folderMode: 0o700)
            if user.sudo { write(sudoLine, to: sudoers, mode: 0o440, folderMode: 0o755) } else { try? FileManager.default.removeItem(at: sudoers) }
            changes.append("\(user.name): key\(user.sudo ? " and sudo" : "")")
        }
        for name in before.subtracting(wanted.map(\.name)) where Names.problem(name, as: .user) == nil {
            try? FileManager.default.removeItem(at: path("home/\(name)/.ssh/authorized_keys"))
            try? FileManager.default.removeItem(at: path("etc/sudoers.d/recipe-\(name)"))
            changes.append("\(name): removed")
        }
        if !changes.isEmpty || Set(wanted.map(\.name)) != before {
            try? FileManager.default.createDirectory(at: managed.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? SecretVault.writePrivate(Data(wanted.map { $0.name + "\n" }.joined().utf8), to: managed)
        }
        return changes
    }

    /// The machine leaves the cluster: every login this agent gave is taken back, and in a
    /// machine's folder (a root other than `/`) the folders it made for them go too.
    func forgetAll() -> [String] {
        let names = ((try? String(contentsOf: managed, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        let changes = apply([])
        if root.path != "/" {
            for name in names where Names.problem(name, as: .user) == nil {
                for folder in ["home/\(name)/.ssh", "home/\(name)", "home"] { rmdir(path(folder).path) }
            }
            for folder in ["etc/sudoers.d", "etc"] { rmdir(path(folder).path) }
        }
        try? FileManager.default.removeItem(at: managed)
        return changes
    }

    private func path(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    private func write(_ text: String, to url: URL, mode: Int, folderMode: Int) {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: folderMode])
        try? Data(text.utf8).write(to: url, options: .atomic)
        chmod(url.path, mode_t(mode))
    }

    /// useradd, when the account is not there yet (the name was checked by the one rule for user names).
    private func makeAccount(_ name: String) {
        let command: ShellCommand = "id -u \(name) >/dev/null 2>&1 || useradd -m -s /bin/sh \(name)"
        _ = ShellRun(root: root, environment: [:]).run(command.text, timeout: 30, id: 0)
    }
}
