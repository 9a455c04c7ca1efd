import Cloud
import Foundation

/// The system's OpenSSH client, to one host: batch mode (no password prompt ever waits), the
/// host key learnt on first contact and held to after (`known_hosts` in the home), and commands
/// run under `sudo -n` when the login is not root.
struct SecureShell: Sendable {
    let address: HostAddress
    let identity: String?
    let knownHosts: URL
    var ssh = "/usr/bin/ssh"

    /// ssh's own options, then the destination.
    var arguments: [String] {
        var args = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=\(knownHosts.path)",
                    "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=15", "-p", String(address.port)]
        if let identity { args += ["-i", identity, "-o", "IdentitiesOnly=yes"] }
        return args + ["--", address.destination]
    }

    /// Runs shell text on the host (as root: through `sudo -n` for another login), with `input`
    /// (a file of this machine) as its standard input.
    func run(_ command: ShellCommand, input: URL? = nil) async throws -> CommandResult {
        try FileManager.default.createDirectory(at: knownHosts.deletingLastPathComponent(), withIntermediateDirectories: true)
        let remote: ShellCommand = address.user == "root" ? command : "sudo -n sh -c \(command.text)"
        var environment = ProcessInfo.processInfo.environment
        environment["RECIPE_SSH_INPUT"] = input?.path ?? "/dev/null"
        // a shell only to give ssh its standard input; every word goes in as an argument
        return try await Tool.run("/bin/sh", ["-c", #"exec "$0" "$@" < "$RECIPE_SSH_INPUT""#, ssh] + arguments + [remote.text],
                                  environment: environment)
    }

    /// Like `run`, but an exit other than 0 is an error that names the host and ssh's own words.
    @discardableResult
    func check(_ command: ShellCommand, input: URL? = nil, doing what: String) async throws -> String {
        let result = try await run(command, input: input)
        guard result.code == 0 else {
            let said = (result.stderr + result.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
            let reason = result.code == 255 ? "ssh could not connect or log in" : "exit \(result.code)"
            throw CloudError("\(address): \(what) failed (\(reason)): \(said.split(separator: "\n").suffix(3).joined(separator: " / "))")
        }
        return result.stdout
    }
}
