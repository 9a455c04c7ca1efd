import Foundation
import TestSupport

/// Debian's OpenSSH server, started by a test on a loopback address of its own: its own host key,
/// one authorized key (the client key it makes), root login by key only. It plays a machine you
/// already have, whose root folder is `root`. Stopped by its PID (from its pid file).
final class SSHServer {
    let address: String
    let port: Int
    let folder: URL
    /// The private key that logs in (`--identity`), and one that does not.
    let identity: URL
    let strangerIdentity: URL
    /// The folder the agent treats as this machine's `/`.
    let root: URL
    /// The listener's pid, read once it listens (the folder with its pid file may be gone at stop).
    private var pid: pid_t?

    init(folder: URL, address: String, port: Int = 2222) throws {
        (self.folder, self.address, self.port) = (folder, address, port)
        identity = folder.appendingPathComponent("client_ed25519")
        strangerIdentity = folder.appendingPathComponent("stranger_ed25519")
        root = folder.appendingPathComponent("machine")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for key in ["host_ed25519", "client_ed25519", "stranger_ed25519"] {
            try Self.check("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", folder.appendingPathComponent(key).path])
        }
        try FileManager.default.copyItem(at: folder.appendingPathComponent("client_ed25519.pub"), to: folder.appendingPathComponent("authorized_keys"))
        // sshd insists on its privilege separation folder
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("sshd_config")
        try """
            ListenAddress \(address):\(port)
            HostKey \(folder.path)/host_ed25519
            AuthorizedKeysFile \(folder.path)/authorized_keys
            PidFile \(folder.path)/sshd.pid
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            LogLevel ERROR

            """.write(to: config, atomically: true, encoding: .utf8)
        // sshd puts itself in the background and writes its pid: no Process of the test's watches it
        let log = folder.appendingPathComponent("sshd.log")
        try Self.check("/usr/sbin/sshd", ["-f", config.path, "-E", log.path])
        let pidFile = folder.appendingPathComponent("sshd.pid")
        // up once it accepts a connection
        let listening = Harness.eventually(timeout: 10) { Self.accepts(address, port) } != nil
        pid = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard listening, pid != nil else {
            stop()
            throw HarnessError("sshd did not listen on \(address):\(port): \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
    }

    var url: String { "ssh://root@\(address):\(port)\(root.path)" }

    /// SIGKILL to the listener by its pid (its sessions end with their connections).
    func stop() {
        guard let pid else { return }
        kill(pid, SIGKILL)
        self.pid = nil
    }

    /// SIGKILL to the machine's agent, by the pid its bootstrap kept.
    func killAgent() throws {
        let text = try String(contentsOf: root.appendingPathComponent("var/lib/recipe-agent/agent.pid"), encoding: .utf8)
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw HarnessError("no agent pid in \(root.path)") }
        kill(pid, SIGKILL)
    }

    /// Every file and folder left under the machine's root, relative to it.
    func leftovers() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        var found: [String] = []
        while let next = enumerator?.nextObject() as? String { found.append(next) }
        return found.sorted()
    }

    static func accepts(_ address: String, _ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, address, &target.sin_addr)
        return withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func check(_ executable: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        try Launch.run(p)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw HarnessError("\(executable) \(arguments.joined(separator: " ")) exited \(p.terminationStatus)") }
    }
}
