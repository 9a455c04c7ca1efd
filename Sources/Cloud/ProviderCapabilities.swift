/// What a provider can do beyond the common calls, asked by the engine and the scheduler instead
/// of inferred from its kind string.
public struct ProviderCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Each instance has an agent that heartbeats: a silent or vanished agent is a failure
    /// (`agents(cluster:)` reports them).
    public static let heartbeats = ProviderCapabilities(rawValue: 1 << 0)
    /// Failures are found by polling: `describe` shows instances stopped or gone behind the tool's
    /// back, and `statusChecks` names the impaired ones.
    public static let polling = ProviderCapabilities(rawValue: 1 << 1)
    /// `run` and `writeFile` reach the instance (an agent runs there).
    public static let commands = ProviderCapabilities(rawValue: 1 << 2)
    /// Firewall rules are enforced by the provider (security groups), not only recorded.
    public static let firewall = ProviderCapabilities(rawValue: 1 << 3)
    /// `metrics` reads a source of the provider's own (CloudWatch) besides the samples pushed to
    /// the Store; without it, the provider's samples are the Store's.
    public static let ownMetrics = ProviderCapabilities(rawValue: 1 << 4)
    /// Images of instances (`createImage`).
    public static let images = ProviderCapabilities(rawValue: 1 << 5)

    /// The capabilities by name, for messages and `recipe status`.
    public var names: [String] {
        [(Self.heartbeats, "heartbeats"), (.polling, "polling"), (.commands, "commands"), (.firewall, "firewall"),
         (.ownMetrics, "metrics"), (.images, "images")].filter { contains($0.0) }.map(\.1)
    }
}
