import Cloud
import Foundation

/// A path inside an instance, resolved as the instance's own processes would see it: each part
/// that is a symlink is followed, and must lead inside the instance root or into a volume
/// attached to it (a mount point is a symlink to its volume's folder). A part that does not
/// exist yet is a folder made inside; `ln -s /elsewhere lnk` then `write(i, "/lnk/f")` is refused.
public struct InstancePath: Sendable {
    public let root: URL
    /// The folders of the volumes attached to the instance: mount points lead there.
    public let volumes: [URL]

    public init(root: URL, volumes: [URL]) {
        (self.root, self.volumes) = (root, volumes)
    }

    /// Where `path` (absolute inside the instance) lands; its parent folders are made.
    /// `followLast`: whether the last part may be a symlink that is followed (a file written
    /// through it); a mount point's last part is the symlink itself, so it is not.
    public func resolve(_ path: String, followLast: Bool) throws -> URL {
        if path.contains("\0") { throw CloudError("path '\(path.replacingOccurrences(of: "\0", with: "\\0"))' holds a NUL") }
        guard let parts = MountPoint.parts(path) else {
            throw CloudError("'\(path)' must be an absolute path inside the instance, without '..'")
        }
        let allowed = ([root] + volumes).map { $0.resolvingSymlinksInPath().standardizedFileURL.path }
        func inside(_ url: URL) -> Bool {
            let real = url.standardizedFileURL.path
            return allowed.contains { real == $0 || real.hasPrefix($0 + "/") }
        }
        var current = URL(fileURLWithPath: allowed[0])
        for (index, part) in parts.enumerated() {
            let next = current.appendingPathComponent(part)
            let last = index == parts.count - 1
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: next.path) {
                if last && !followLast { return next }
                let resolved = URL(fileURLWithPath: target, relativeTo: current).resolvingSymlinksInPath()
                guard inside(resolved) else {
                    throw CloudError("'\(path)' leads outside the instance: \(parts[0...index].joined(separator: "/")) is a link to \(target)")
                }
                current = resolved
            } else {
                if !last && !FileManager.default.fileExists(atPath: next.path) {
                    try FileManager.default.createDirectory(at: next, withIntermediateDirectories: false)
                }
                current = next
            }
        }
        return current
    }
}
