import Foundation
import Store

extension Engine {
    /// What `recipe usage` (and the API, later) reports: the instance and volume events of one
    /// cluster or all, over `since..<until`, priced by `prices` and attributed by `by`.
    public func usage(cluster: String?, since: Date, until: Date, now: Date = Date(), by: Usage.Dimension,
                      prices: PriceTable) throws -> Usage.Report {
        var query = EventQuery(cluster: cluster)
        query.kinds = ["instance.launched", "instance.started", "instance.stopped", "instance.terminated",
                       "volume.created", "volume.deleted"]
        let events = try store.events(query).filter { $0.result == "ok" && $0.time < until }
        var clusters: [String: Usage.ClusterInfo] = [:]
        for record in try store.clusters() {
            let options = (try? record.declaration())?.providerOptions ?? [:]
            clusters[record.name] = Usage.ClusterInfo(provider: record.provider, region: options["region"])
        }
        return Usage.report(events: events, since: since, until: until, now: now, by: by, prices: prices, clusters: clusters)
    }
}
