import Foundation

/// The tokens `recipe login` saved, one controller a line (`URL TOKEN`), in
/// `$XDG_CONFIG_HOME/recipe/credentials` (else `~/.config/recipe/credentials`): the file is 0600
/// and its folder 0700, as other tools keep their credentials.
struct Credentials {
    let file: URL
    private(set) var tokens: [String: String]

    /// The file of this user, by the XDG rule: `XDG_CONFIG_HOME` when it is an absolute path, else `HOME/.config`.
    static func file(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let config: URL
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            config = URL(fileURLWithPath: xdg)
        } else {
            config = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        }
        return config.appendingPathComponent("recipe/credentials")
    }

    /// What the file holds; nothing when there is no file yet.
    static func load(_ file: URL = Credentials.file()) throws -> Credentials {
        guard FileManager.default.fileExists(atPath: file.path) else { return Credentials(file: file, tokens: [:]) }
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw ControllerFailure("cannot read \(file.path): \(error.localizedDescription)")
        }
        var tokens: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 2 { tokens[String(words[0])] = String(words[1]) }
        }
        return Credentials(file: file, tokens: tokens)
    }

    func token(for controller: String) -> String? { tokens[controller] }

    mutating func set(_ token: String?, for controller: String) {
        tokens[controller] = token
    }

    /// Writes the file whole, through a 0600 file renamed over it: no moment where another user could read it.
    func save() throws {
        let folder = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
            let text = "# recipe login: controller URL and its API token; keep this file private\n"
                + tokens.keys.sorted().map { "\($0) \(tokens[$0]!)\n" }.joined()
            let temporary = folder.appendingPathComponent(".credentials-\(getpid())")
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard fd >= 0 else { throw ControllerFailure("cannot write \(temporary.path): \(String(cString: strerror(errno)))") }
            fchmod(fd, 0o600)  // a leftover of a killed login keeps its mode through O_TRUNC
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
            guard rename(temporary.path, file.path) == 0 else {
                unlink(temporary.path)
                throw ControllerFailure("cannot write \(file.path): \(String(cString: strerror(errno)))")
            }
        } catch let failure as ControllerFailure {
            throw failure
        } catch {
            throw ControllerFailure("cannot write \(file.path): \(error.localizedDescription)")
        }
    }
}
