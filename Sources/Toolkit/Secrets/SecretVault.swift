import Foundation

/// The home's secrets: one AES-GCM ciphertext per name in `HOME/secrets/` and the key that opens
/// them in `HOME/secrets.key`, a file of its own; folder 0700, files 0600, written whole.
public struct SecretVault: Sendable {
    public let folder: URL
    public let keyFile: URL

    public init(home: URL) {
        folder = home.appendingPathComponent("secrets")
        keyFile = home.appendingPathComponent("secrets.key")
    }

    /// Names' rule for secrets: it is a file's name here and a word inside references.
    public static func check(_ name: String) throws {
        try Names.check(name, as: .secret)
    }

    public func set(_ name: String, value: String) throws {
        try Self.check(name)
        let blob = try cipher(creating: true).seal(value, name: name)
        try Self.makeFolder(folder)
        try Self.writePrivate(blob, to: folder.appendingPathComponent(name))
        Self.changes.withLock { $0 += 1 }
    }

    public func value(_ name: String) throws -> String {
        try Self.check(name)
        guard let blob = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
            throw CloudError("secret '\(name)' is not set (recipe secret set \(name))")
        }
        return try cipher(creating: false).open(blob, name: name)
    }

    public func contains(_ name: String) -> Bool {
        (try? Self.check(name)) != nil && FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path)
    }

    /// The names set, sorted; never their values.
    public func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { (try? Self.check($0)) != nil }.sorted()
    }

    /// Whether it was there to remove.
    @discardableResult
    public func remove(_ name: String) throws -> Bool {
        try Self.check(name)
        defer { Self.changes.withLock { $0 += 1 } }
        return unlink(folder.appendingPathComponent(name).path) == 0
    }

    /// Every value by name: what the redactor masks and what the agent reveals with.
    public func values() -> [String: String] {
        guard let opener = try? cipher(creating: false) else { return [:] }
        var values: [String: String] = [:]
        for name in names() {
            if let blob = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path),
               let value = try? opener.open(blob, name: name) {
                values[name] = value
            }
        }
        return values
    }

    /// How many sets and removes this process has made: a redactor here sees its own process's
    /// changes at once, without waiting to look at the folder again.
    static let changes = Locked(0)

    /// When the secrets last changed (a set or a remove touches the folder).
    var changedAt: Date? {
        (try? FileManager.default.attributesOfItem(atPath: folder.path))?[.modificationDate] as? Date
    }

    private func cipher(creating: Bool) throws -> SecretCipher {
        if let key = FileManager.default.contents(atPath: keyFile.path) { return try SecretCipher(key: key) }
        guard creating else { throw CloudError("no secret key at \(keyFile.path): no secret was ever set in this home") }
        do {
            try FileManager.default.createDirectory(at: keyFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Self.writePrivate(SecretCipher.newKey(), to: keyFile, exclusive: true)
        } catch let error as POSIXError where error.code == .EEXIST {
            // another process made it first: use theirs
        }
        return try cipher(creating: false)
    }

    private static func makeFolder(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(url.path, 0o700)
    }

    /// Written with mode 0600 from its first byte (no window with a wider mode), then renamed
    /// into place; `exclusive` never replaces a file that is there.
    public static func writePrivate(_ data: Data, to url: URL, exclusive: Bool = false) throws {
        let target = exclusive ? url.path : url.path + ".\(getpid()).part"
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced else {
            unlink(target)
            throw CloudError("could not write \(url.path)")
        }
        if !exclusive, rename(target, url.path) != 0 {
            unlink(target)
            throw CloudError("could not write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
