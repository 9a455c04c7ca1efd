import Foundation

/// What bounds hooks that emit events (recipe serve's `--max-hook-depth` and `--emit-rate`): a
/// chain of hook runs on emitted events no deeper than `maxDepth`, and each cluster's hooks
/// emitting at most `limiter.perSecond` events a second.
public struct HookLimits: Sendable {
    public static let defaultDepth = 8
    public static let defaultRate = 200

    public let maxDepth: Int
    public let limiter: EmitLimiter

    public init(maxDepth: Int = defaultDepth, emitRate: Int = defaultRate) {
        self.maxDepth = maxDepth
        limiter = EmitLimiter(perSecond: emitRate)
    }

    /// Why `event`, emitted by a hook, is not recorded (nil when it is): too deep a chain, or its
    /// cluster over its rate this second (counted, for the next `hook.throttled`).
    public func refusal(of event: Event) -> String? {
        if event.depth > maxDepth {
            return "emit: \(event.kind) refused: hooks emitting events led \(event.depth) deep (more than \(maxDepth), recipe serve --max-hook-depth); recorded as hook.loop"
        }
        let cluster = event.cluster ?? ""
        if !limiter.admit(cluster: cluster) {
            let whose = cluster.isEmpty ? "hooks" : "cluster \(cluster)'s hooks"
            return "emit: \(event.kind) dropped: \(whose) emit more than \(limiter.perSecond) events a second (recipe serve --emit-rate); counted in hook.throttled"
        }
        return nil
    }
}
