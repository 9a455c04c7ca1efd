import Foundation

/// Output of a command run on an instance.
public struct CommandResult: Codable, Sendable, Equatable {
    public var code: Int32
    public var stdout: String
    public var stderr: String

    public init(code: Int32, stdout: String, stderr: String) {
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
    }
}
