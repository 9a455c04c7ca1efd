import Cloud
import Foundation
import Store

extension ClusterRecord {
    /// The declaration the last apply recorded.
    public func declaration() throws -> ClusterSpec {
        try JSONDecoder().decode(ClusterSpec.self, from: Data(spec.utf8))
    }

    /// The recipe that declared it, with the run's arguments.
    public var recipe: RecipeSource? {
        recipePath.map { RecipeSource(path: $0, sha256: recipeHash ?? "", arguments: arguments) }
    }
}

/// Converging a cluster from its recorded declaration: what healing and scaling do between runs.
extension Engine {
    /// Plans and applies the recorded declaration, after `change` (say a layer's new count): lost
    /// instances are replaced in their slots, the recipe that declared it stays on record.
    public func reconverge(_ cluster: String, hooks: (any LifecycleHooks)?, options: ApplyOptions = ApplyOptions(),
                           change: (inout ClusterSpec) throws -> Void = { _ in }) async throws -> ConvergeReport {
        let lock = try await hold(cluster)
        defer { lock.release() }
        guard let record = try store.cluster(cluster) else { throw CloudError("no cluster named \(cluster)") }
        let recorded = try record.declaration()
        var spec = recorded
        try change(&spec)
        let plan = try await plan(spec)
        guard !plan.isEmpty else {
            // nothing to launch or end, but a count put back (after a failed launch) is kept
            if spec.layers.map(\.count) != recorded.layers.map(\.count) { try saveDeclaration(spec, recipe: record.recipe) }
            return ConvergeReport(plan: plan)
        }
        return try await apply(plan, spec: spec, recipe: record.recipe, hooks: hooks, options: options)
    }

    /// Sets a layer's count: a number, or "+N" / "-N" from the recorded one; never below zero,
    /// and never above the most a recipe may declare (`LayerSpec.counts`).
    public func scale(_ cluster: String, layer: String, to count: String, hooks: (any LifecycleHooks)?,
                      options: ApplyOptions = ApplyOptions()) async throws -> ConvergeReport {
        try await reconverge(cluster, hooks: hooks, options: options) { spec in
            guard let index = spec.layers.firstIndex(where: { $0.name == layer }) else {
                throw CloudError("cluster \(cluster) has no layer \(layer)")
            }
            let current = spec.layers[index].count
            // with overflow reported, not trapped: "+9223372036854775807" must not end the process
            let target: (partialValue: Int, overflow: Bool)
            if count.hasPrefix("+"), let n = Int(count.dropFirst()) {
                target = current.addingReportingOverflow(n)
            } else if count.hasPrefix("-"), let n = Int(count.dropFirst()) {
                target = current.subtractingReportingOverflow(n)
            } else if let n = Int(count) {
                target = (n, false)
            } else {
                throw CloudError("scale \(cluster)/\(layer): '\(count)' is not a count, +N or -N")
            }
            guard !target.overflow, target.partialValue <= LayerSpec.counts.upperBound else {
                throw CloudError("scale \(cluster)/\(layer): '\(count)' is more than the \(LayerSpec.counts.upperBound) instances a layer may have")
            }
            spec.layers[index].count = max(0, target.partialValue)
        }
    }
}
