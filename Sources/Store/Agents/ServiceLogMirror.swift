import Cloud
import Foundation

/// The controller's copy of remote agents' service logs, in the home
/// (`agents/logs/INSTANCE/NAME.log`): each agent ships what its services wrote with its heartbeat,
/// and `recipe logs` reads the copy as it reads a local instance's var/log. A copy past `limit`
/// bytes keeps its last `kept` (from a line's start), so a reader's offset past the end reads it anew.
public struct ServiceLogMirror: Sendable {
    /// The most an agent ships of one service in one beat: a service writing faster loses the
    /// older part of what it wrote in between.
    public static let chunkLimit = 64 * 1024
    static let limit: Int64 = 1 << 20
    static let kept = 256 * 1024

    public let folder: URL

    public init(home: URL) { folder = home.appendingPathComponent("agents/logs") }

    public func folder(of instance: String) -> URL { folder.appendingPathComponent(instance) }

    /// Adds a chunk at the end of its service's copy; `service` is a name the caller checked.
    public func append(_ chunk: AgentDocuments.ServiceLogChunk, instance: String) throws {
        let file = folder(of: instance).appendingPathComponent(chunk.service + ".log")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(file.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CloudError("cannot write \(file.path): \(String(cString: strerror(errno)))") }
        let bytes = Data(chunk.text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let size = lseek(fd, 0, SEEK_END)
        close(fd)
        guard written == bytes.count else { throw CloudError("cannot write \(file.path): the disk may be full") }
        if size > Self.limit { try trim(file) }
    }

    /// Every copy of these instances' logs (they were terminated).
    public func forget(_ instances: [String]) {
        for instance in instances { try? FileManager.default.removeItem(at: folder(of: instance)) }
    }

    private func trim(_ file: URL) throws {
        let data = try Data(contentsOf: file)
        var tail = data.suffix(Self.kept)
        if let newline = tail.firstIndex(of: UInt8(ascii: "\n")) { tail = tail[(newline + 1)...] }
        try (Data("[trimmed]\n".utf8) + tail).write(to: file, options: .atomic)
    }
}
