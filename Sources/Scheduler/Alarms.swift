import Engine
import Foundation
import RecipeRuntime
import Store

/// when{} thresholds, checked every second: the stat of the layer's samples over the last few
/// seconds must stay past the threshold for `sustain` before the alarm fires (an alarm.fired
/// event, and a run of its hook linked to it); then it stays quiet for `cooldown`.
actor Alarms {
    struct State {
        var breachedSince: Date?
        var quietUntil = Date.distantPast
    }

    let engine: Engine
    let executor: Executor
    private var alarms: [String: AlarmHook] = [:]
    private var states: [String: State] = [:]
    /// The samples each check looks at: a few agent heartbeats, or pushes once a second; a
    /// provider's own source (CloudWatch) has one-minute points, so it is read over five minutes,
    /// and every five seconds rather than every second.
    static let window: Double = 3
    static let ownWindow: Double = 300
    static let ownInterval: Double = 5
    private var nextRead: [String: Date] = [:]

    var store: Store { engine.store }

    init(engine: Engine, executor: Executor) {
        self.engine = engine
        self.executor = executor
    }

    func load(_ list: [AlarmHook], replacing old: Set<String>) {
        for key in old { alarms[key] = nil }
        for alarm in list { alarms[alarm.key] = alarm }
        states = states.filter { alarms[$0.key] != nil }
    }

    func run() async {
        while !Task.isCancelled {
            await check()
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    func check(now: Date = Date()) async {
        for (key, alarm) in alarms.sorted(by: { $0.key < $1.key }) {
            var state = states[key] ?? State()
            defer { states[key] = state }
            let own = engine.capabilities(of: alarm.cluster).contains(.ownMetrics)
            if own {
                guard now >= nextRead[key, default: .distantPast] else { continue }
                nextRead[key] = now.addingTimeInterval(Self.ownInterval)
            }
            guard now >= state.quietUntil, let value = try? await value(of: alarm, window: own ? Self.ownWindow : Self.window, now: now),
                  alarm.breached(value) else {
                state.breachedSince = nil
                continue
            }
            let since = state.breachedSince ?? now
            state.breachedSince = since
            guard now.timeIntervalSince(since) >= alarm.sustain else { continue }
            state.breachedSince = nil
            state.quietUntil = now.addingTimeInterval(alarm.cooldown)
            let threshold = alarm.above.map { "> \($0)" } ?? "< \(alarm.below!)"
            let detail = "\(alarm.stat.rawValue) \(alarm.metric) \(String(format: "%.2f", value)) \(threshold) for \(Int(alarm.sustain)) s"
            guard let event = try? store.record(Event(actor: "scheduler", cluster: alarm.cluster, kind: "alarm.fired",
                                                       subject: alarm.layer, detail: detail)) else { continue }
            let run = HookRun(hook: alarm.key, cluster: alarm.cluster, eventID: event.id, trigger: "alarm")
            if let inserted = try? store.schedule([run], state: [:]) { await executor.submit(inserted) }
        }
    }

    /// The stat of the layer's online instances' samples in the window; nil without samples.
    private func value(of alarm: AlarmHook, window: Double, now: Date) async throws -> Double? {
        let values = try await engine.metricValues(cluster: alarm.cluster, layer: alarm.layer, name: alarm.metric,
                                                   since: now.addingTimeInterval(-window)).sorted()
        guard !values.isEmpty else { return nil }
        switch alarm.stat {
        case .avg: return values.reduce(0, +) / Double(values.count)
        case .max: return values.last
        case .min: return values.first
        case .p95: return values[min(values.count - 1, Int((Double(values.count) * 0.95).rounded(.up)) - 1)]
        }
    }
}
