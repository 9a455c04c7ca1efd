import Cloud
import Foundation
import Store

/// `recipe logs` (and the API's logs route): the kept output of hook runs, commands and deploys,
/// with the services' output read from the instances, merged by time. No printing here: callers
/// render the entries (text, JSON lines, a JSON document).
extension Engine {
    public func logs(cluster: String, instance: String? = nil, kinds: Set<LogEntry.Kind> = [], service: String? = nil,
                     since: Date? = nil, limit: Int? = nil) async throws -> [LogEntry] {
        try await logPage(LogQuery(cluster: cluster, instance: instance, kinds: kinds, service: service, since: since,
                                   limit: limit)).entries
    }

    /// The entries a query asks for, oldest first. With `cursor` (a page's, to follow), only what
    /// came after it. Throws naming an unknown cluster, instance or service.
    public func logPage(_ query: LogQuery, from cursor: LogCursor? = nil) async throws -> LogPage {
        try await logPage(query, from: cursor, instances: nil)
    }

    /// `instances`: the cluster's, read by the caller (a follower reads them every few seconds, not
    /// at every poll: on a cloud, each read is an API call).
    func logPage(_ query: LogQuery, from cursor: LogCursor?, instances: [Instance]?) async throws -> LogPage {
        let following = cursor != nil
        var cursor = try cursor ?? LogCursor(after: store.lastLogID())
        if !following, try store.cluster(query.cluster) == nil, try store.logs(cluster: query.cluster, newest: 1).isEmpty,
           try store.events(cluster: query.cluster, limit: 1).isEmpty {
            throw CloudError("no cluster named \(query.cluster)")
        }
        var warnings: [String] = []
        var live = instances ?? []
        if instances == nil, query.wants(.service) || (query.instance != nil && !following) {
            do { live = try await inventory(cluster: query.cluster).instances } catch {
                warnings.append("\(query.cluster): services' output not read: \(error)")
            }
        }
        if let wanted = query.instance {
            live = live.filter { $0.name == wanted || $0.id == wanted }
            if !following, live.isEmpty, try !store.logInstances(cluster: query.cluster).contains(where: { $0.name == wanted || $0.id == wanted }) {
                let known = Set(try await knownInstances(query.cluster)).sorted()
                throw CloudError("cluster \(query.cluster) has no instance \(wanted) (instances: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
            }
        }
        var entries: [LogEntry] = []
        let kinds = Set(LogEntry.Kind.allCases.filter { $0 != .service && query.wants($0) })
        if !kinds.isEmpty {
            let kept = try store.logs(cluster: query.cluster, instance: query.instance, kinds: kinds, since: query.since,
                                      after: following ? cursor.after : 0, newest: following ? nil : query.limit)
            entries += kept
            cursor.after = max(cursor.after, kept.last?.id ?? 0)
        }
        if query.wants(.service) {
            entries += try await serviceEntries(query, live, &cursor, following: following)
        }
        // by time; kept entries of one time in the order they were kept
        entries.sort { ($0.time, $0.id ?? .max) < ($1.time, $1.id ?? .max) }
        if let limit = query.limit, !following, entries.count > limit { entries.removeFirst(entries.count - limit) }
        return LogPage(entries: entries, cursor: cursor, warnings: warnings)
    }

    /// Seconds between a follower's looks at the cluster's instances.
    static let followLookEvery = 5.0

    /// New entries as they come, polled every `interval` seconds, after the `from` page's cursor;
    /// ends with the caller's task (or an error: the state could not be read).
    public func followLogs(_ query: LogQuery, from cursor: LogCursor, every interval: Double = 0.2)
        -> AsyncThrowingStream<LogEntry, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var cursor = cursor
                var instances: [Instance] = [], looked = Date.distantPast
                do {
                    while !Task.isCancelled {
                        try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                        // instances come and go (heal, scaling): looked up again every few seconds
                        if query.wants(.service), Date().timeIntervalSince(looked) >= Self.followLookEvery {
                            instances = (try? await inventory(cluster: query.cluster).instances) ?? instances
                            looked = Date()
                        }
                        let page = try await logPage(query, from: cursor, instances: instances)
                        cursor = page.cursor
                        for entry in page.entries { continuation.yield(entry) }
                    }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The services' output of these instances, from the cursor's offsets (or each one's tail),
    /// cleaned of secrets. Service output carries no time per line: an entry is stamped with the
    /// time its log was last written.
    private func serviceEntries(_ query: LogQuery, _ instances: [Instance], _ cursor: inout LogCursor,
                                following: Bool) async throws -> [LogEntry] {
        let provider = try provider(for: query.cluster)
        var entries: [LogEntry] = []
        var names: Set<String> = []
        for instance in instances {
            let known = cursor.offsets[instance.id] ?? [:]
            for output in await provider.serviceOutput(of: instance, from: known, tail: Store.logBytes) {
                names.insert(output.service)
                guard query.service.map({ $0 == output.service }) ?? true else { continue }
                cursor.offsets[instance.id, default: [:]][output.service] = output.end
                guard !output.text.isEmpty, following || query.since.map({ output.modified >= $0 }) ?? true else { continue }
                entries.append(LogEntry(time: output.modified, cluster: query.cluster, instance: instance.name, instanceID: instance.id,
                                        kind: .service, source: output.service, text: store.redactor.redact(output.text)))
            }
        }
        if let service = query.service, !following, !instances.isEmpty, !names.contains(service) {
            let on = query.instance.map { "instance \($0) of " } ?? ""
            throw CloudError("\(on)cluster \(query.cluster) has no service \(service) (services: \(names.isEmpty ? "none" : names.sorted().joined(separator: ", ")))")
        }
        return entries
    }

    /// The cluster's instances by name, live and gone (those its kept logs name), for messages.
    private func knownInstances(_ cluster: String) async throws -> [String] {
        let live = (try? await inventory(cluster: cluster).instances.map(\.name)) ?? []
        return live + (try store.logInstances(cluster: cluster).map(\.name))
    }

    /// Keeps an entry; a state that refuses it loses the log, never the work that wrote it.
    func keep(_ entries: LogEntry...) {
        _ = try? store.appendLogs(entries)
    }
}
