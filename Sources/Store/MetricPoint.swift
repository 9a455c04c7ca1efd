import Foundation

/// One slot of a metric's graph: the average of an instance's samples of `name` in it.
public struct MetricPoint: Sendable, Equatable {
    public var instance: String
    public var name: String
    public var slot: Int
    public var value: Double
}
