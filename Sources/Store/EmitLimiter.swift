import Foundation
import Toolkit

/// Each cluster's budget of events emitted by hooks: `perSecond` in each second of the clock;
/// what goes over is dropped and counted, and `drain` hands over the counts (recipe serve
/// records them as one `hook.throttled` per cluster, every second).
public final class EmitLimiter: Sendable {
    public let perSecond: Int
    private let windows = Locked<[String: Window]>([:])

    struct Window: Sendable {
        var second: Int64
        var admitted: Int
        var dropped: Int
    }

    public init(perSecond: Int) {
        self.perSecond = perSecond
    }

    /// Whether one more event of `cluster` ("" for none) may be recorded now.
    public func admit(cluster: String, at time: Date = Date()) -> Bool {
        let second = Int64(time.timeIntervalSince1970.rounded(.down))
        return windows.withLock { windows in
            var window = windows[cluster] ?? Window(second: second, admitted: 0, dropped: 0)
            if window.second != second {
                window.second = second
                window.admitted = 0
            }
            let admitted = window.admitted < perSecond
            if admitted { window.admitted += 1 } else { window.dropped += 1 }
            windows[cluster] = window
            return admitted
        }
    }

    /// The clusters that had events dropped since the last drain, with how many; resets the counts.
    public func drain() -> [(cluster: String, dropped: Int)] {
        windows.withLock { windows in
            var drained: [(cluster: String, dropped: Int)] = []
            for (cluster, window) in windows where window.dropped > 0 {
                drained.append((cluster, window.dropped))
                windows[cluster]?.dropped = 0
            }
            // clusters quiet for a while are forgotten
            let now = Int64(Date().timeIntervalSince1970)
            windows = windows.filter { now - $0.value.second < 60 || $0.value.dropped > 0 }
            return drained.sorted { $0.cluster < $1.cluster }
        }
    }
}
