/// Where a volume appears inside an instance: an absolute path with no "." or ".." part, so it
/// never leads outside the instance root.
public enum MountPoint {
    /// The path's parts, or nil when it is not a valid mount point.
    public static func parts(_ mount: String) -> [String]? {
        let parts = mount.split(separator: "/").map(String.init)
        guard mount.hasPrefix("/"), !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
        return parts
    }
}
