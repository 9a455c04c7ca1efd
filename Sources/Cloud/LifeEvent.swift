import Foundation

/// An instance's or volume's launch, stop, start, end, as a provider reports the lives it
/// changed, at its clock's time, for whom it acted. The executable records them in the Store
/// (`instance.launched` and kin), which is what accounting counts hours from.
public struct LifeEvent: Sendable, Equatable {
    public var kind: String
    public var cluster: String
    public var subject: String
    public var detail: String?
    public var time: Date
    public var actor: String

    public init(kind: String, cluster: String, subject: String, detail: String? = nil, time: Date = Date(), actor: String) {
        (self.kind, self.cluster, self.subject, self.detail, self.time, self.actor) = (kind, cluster, subject, detail, time, actor)
    }

    /// Where a provider tells them.
    public typealias Recorder = @Sendable (LifeEvent) -> Void
}
