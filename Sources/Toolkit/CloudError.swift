/// A refusal phrased for the user and naming the resource (a provider's, a tool's, the engine's).
public struct CloudError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    /// Cleaned of secrets: this is what reaches the terminal when a command fails.
    public var description: String { Redactor.shared.value.redact(message) }
}
