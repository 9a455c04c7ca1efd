import Cloud
import Foundation
import Store

/// Runs hooks for the engine and records each run as an event; a failing hook never stops the others.
struct HookRunner: Sendable {
    let engine: Engine
    let hooks: (any LifecycleHooks)?
    let options: ApplyOptions
    /// Every hook that failed through this runner (its copies share it), for the apply's report.
    let failures = Locked<[HookFailure]>([])

    /// Returns whether the hook succeeded (true when none is declared).
    @discardableResult
    func run(_ kind: HookKind, _ instance: Instance, reason: String, app: String? = nil, target: Instance? = nil,
             timeLimit: Double? = nil) async -> Bool {
        guard let hooks, hooks.declares(kind, layer: instance.layer) else { return true }
        let event = HookEvent(cluster: instance.cluster, layer: instance.layer, instance: instance, reason: reason, app: app,
                              target: target)
        let start = Date()
        let about = (app.map { " (app \($0))" } ?? "") + (target.map { " for \($0.name)" } ?? "")
        engine.progress.step(instance.cluster, instance.name, "\(kind.rawValue) hook" + about)
        // what the hook logs and runs, kept as the instance's log of this run
        let output = LogCapture()
        func keep(_ result: String) {
            engine.keep(LogEntry(cluster: instance.cluster, instance: instance.name, instanceID: instance.id, kind: .hook,
                                 source: kind.rawValue + about, text: output.text, result: result))
        }
        do {
            try await LogCapture.$current.withValue(output) {
                try await hooks.run(kind, event, timeLimit: timeLimit ?? options.hookTimeLimit)
            }
            engine.record("hook.\(kind.rawValue)", cluster: instance.cluster, subject: instance.name,
                          detail: detail(reason, app, target, start))
            keep("ok")
            return true
        } catch {
            engine.record("hook.\(kind.rawValue)", cluster: instance.cluster, subject: instance.name,
                          detail: detail(reason, app, target, start), result: "failed: \(error)")
            keep("failed: \(error)")
            engine.progress.step(instance.cluster, instance.name, "\(kind.rawValue) hook failed: \(error)")
            let failure = HookFailure(kind: kind, cluster: instance.cluster, instance: instance.name, message: "\(error)")
            failures.withLock { $0.append(failure) }
            return false
        }
    }

    /// The instances that balance `target`: online peers whose layer declares `kind` (drain or ready).
    func balancers(_ kind: HookKind, of target: Instance, among instances: [Instance]) -> [Instance] {
        guard let hooks else { return [] }
        return instances.filter { $0.id != target.id && $0.state == .online && hooks.declares(kind, layer: $0.layer) }
    }

    /// Takes `target` out of (or back into) rotation on every balancer, all at once.
    func balance(_ kind: HookKind, _ target: Instance, among instances: [Instance], reason: String) async {
        await withTaskGroup(of: Void.self) { group in
            for balancer in balancers(kind, of: target, among: instances) {
                group.addTask { await run(kind, balancer, reason: reason, target: target) }
            }
        }
    }

    private func detail(_ reason: String, _ app: String?, _ target: Instance?, _ start: Date) -> String {
        (app.map { "app \($0), " } ?? "") + (target.map { "\($0.name), " } ?? "")
            + "\(reason), \(Int(Date().timeIntervalSince(start) * 1000)) ms"
    }
}
