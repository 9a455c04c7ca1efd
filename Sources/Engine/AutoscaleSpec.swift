/// `autoscale = { ... }` on a layer, as declared: thresholds on a metric and time windows that set
/// the layer's count. Stdlib/autoscale runs it and fills in what is left out (nil here); the
/// engine only records it, so `c:spec()` and clones keep it.
public struct AutoscaleSpec: Codable, Sendable, Equatable {
    /// `up = { above = 70, sustain = "1m", add = 2 }`.
    public struct Up: Codable, Sendable, Equatable {
        public var above: Double
        /// Seconds the metric stays above before the layer grows.
        public var sustain: Double?
        public var add: Int?

        public init(above: Double, sustain: Double? = nil, add: Int? = nil) {
            self.above = above
            self.sustain = sustain
            self.add = add
        }
    }

    /// `down = { below = 20, sustain = "5m", remove = 1 }`.
    public struct Down: Codable, Sendable, Equatable {
        public var below: Double
        public var sustain: Double?
        public var remove: Int?

        public init(below: Double, sustain: Double? = nil, remove: Int? = nil) {
            self.below = below
            self.sustain = sustain
            self.remove = remove
        }
    }

    /// `{ days = "mon-fri", from = "08:00", to = "20:00", count = 6 }`: the count during the
    /// window (UTC).
    public struct Window: Codable, Sendable, Equatable {
        public var days: String?
        public var from: String
        public var to: String
        public var count: Int

        public init(days: String? = nil, from: String, to: String, count: Int) {
            self.days = days
            self.from = from
            self.to = to
            self.count = count
        }
    }

    public var metric: String
    /// avg, max, min or p95 of the layer's samples.
    public var stat: String?
    public var up: Up?
    public var down: Down?
    public var min: Int?
    public var max: Int?
    /// Seconds after a step before the next one.
    public var cooldown: Double?
    public var schedule: [Window]

    public init(metric: String, stat: String? = nil, up: Up? = nil, down: Down? = nil, min: Int? = nil, max: Int? = nil,
                cooldown: Double? = nil, schedule: [Window] = []) {
        self.metric = metric
        self.stat = stat
        self.up = up
        self.down = down
        self.min = min
        self.max = max
        self.cooldown = cooldown
        self.schedule = schedule
    }
}
