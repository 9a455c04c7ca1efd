import Cloud
import Foundation

/// The agent binary the controller hands to booting instances, and its SHA-256, which their user
/// data checks before it runs it.
public struct AgentBinary: Sendable {
    public let path: String
    public let sha256: String

    /// `recipe-agent` beside `executable`; nil when it is not there.
    public static func beside(_ executable: String) throws -> AgentBinary? {
        let path = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("recipe-agent").path
        guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
        return AgentBinary(path: path, sha256: try Digest.sha256(of: URL(fileURLWithPath: path)))
    }
}
