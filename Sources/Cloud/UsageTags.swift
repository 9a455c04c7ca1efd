import Foundation

/// What accounting needs from an `instance.*` or `volume.*` event, in one shape appended to its
/// detail: ` [usage cause=declared layer=web type=t3.micro region=us-east-1 provider=ec2 gb=20]`.
/// The detail's free text stays first (`web-1 at 10.0.0.5`), so readers of it are unchanged;
/// `recipe usage` reads the tags back. Values never hold spaces or `]` (they are names).
public struct UsageTags: Sendable, Equatable {
    /// Why the resource ran: `declared` (a plan's apply), `autoscale`, `heal`, `manual` (an
    /// imperative primitive), or `hook` (another hook's primitive).
    public var cause: String?
    public var layer: String?
    public var instanceType: String?
    public var region: String?
    public var provider: String?
    public var sizeGB: Int?

    public init(cause: String? = nil, layer: String? = nil, instanceType: String? = nil, region: String? = nil,
                provider: String? = nil, sizeGB: Int? = nil) {
        self.cause = cause
        self.layer = layer
        self.instanceType = instanceType
        self.region = region
        self.provider = provider
        self.sizeGB = sizeGB
    }

    /// Why the engine is launching, starting or creating right now: set by the engine around
    /// the provider call, read by the provider when it records, so the provider need not be told.
    @TaskLocal public static var cause: String?

    public static let marker = " [usage "

    /// `base` with the tags appended (nothing appended when no tag is set).
    public func appended(to base: String) -> String {
        let pairs: [(String, String?)] = [("cause", cause), ("layer", layer), ("type", instanceType), ("region", region),
                                          ("provider", provider), ("gb", sizeGB.map(String.init))]
        let text = pairs.compactMap { key, value in value.map { "\(key)=\(Self.clean($0))" } }.joined(separator: " ")
        return text.isEmpty ? base : base + Self.marker + text + "]"
    }

    /// The tags a detail carries (all nil when it carries none).
    public init(detail: String?) {
        self.init()
        guard let detail, let start = detail.range(of: Self.marker, options: .backwards),
              let end = detail[start.upperBound...].firstIndex(of: "]") else { return }
        for pair in detail[start.upperBound..<end].split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "cause": cause = parts[1]
            case "layer": layer = parts[1]
            case "type": instanceType = parts[1]
            case "region": region = parts[1]
            case "provider": provider = parts[1]
            case "gb": sizeGB = Int(parts[1])
            default: continue
            }
        }
    }

    private static func clean(_ value: String) -> String {
        String(value.map { $0 == " " || $0 == "]" || $0 == "=" ? "_" : $0 })
    }
}
