import Cloud
import Foundation

/// Runs hooks for the engine and records each run as an event; a failing hook never stops the others.
struct HookRunner: Sendable {
    let engine: Engine
    let hooks: (any LifecycleHooks)?
    let options: ApplyOptions

    /// Returns whether the hook succeeded (true when none is declared).
    @discardableResult
    func run(_ kind: HookKind, _ instance: Instance, reason: String, app: String? = nil, timeLimit: Double? = nil) async -> Bool {
        guard let hooks, hooks.declares(kind, layer: instance.layer) else { return true }
        let event = HookEvent(cluster: instance.cluster, layer: instance.layer, instance: instance, reason: reason, app: app)
        let start = Date()
        do {
            try await hooks.run(kind, event, timeLimit: timeLimit ?? options.hookTimeLimit)
            engine.record("hook.\(kind.rawValue)", cluster: instance.cluster, subject: instance.name,
                          detail: detail(reason, app, start))
            return true
        } catch {
            engine.record("hook.\(kind.rawValue)", cluster: instance.cluster, subject: instance.name,
                          detail: detail(reason, app, start), result: "failed: \(error)")
            return false
        }
    }

    private func detail(_ reason: String, _ app: String?, _ start: Date) -> String {
        (app.map { "app \($0), " } ?? "") + "\(reason), \(Int(Date().timeIntervalSince(start) * 1000)) ms"
    }
}
