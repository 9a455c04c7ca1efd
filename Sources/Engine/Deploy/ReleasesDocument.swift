import Foundation
import Store

/// `recipe releases` and `GET …/apps/{app}/releases`: an app's releases, newest first, an
/// interrupted rollout if there is one, and what each instance runs, read from the instances.
public struct ReleasesDocument: Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var name: String
        public var release: String?
        public var reachable: Bool
    }

    public var cluster: String
    public var app: String
    public var releases: [ReleaseRecord]
    public var unfinished: UnfinishedDeploy?
    public var fleet: [Member]

    /// The text `recipe releases` prints, one line each.
    public var lines: [String] {
        var lines: [String] = []
        if let open = unfinished {
            lines.append("\(app): interrupted \(open.kind): \(open.summary); "
                         + "the next `recipe deploy \(cluster) \(app)` or `recipe run` settles it")
        } else if !releases.isEmpty && !releases.contains(where: { $0.state == .current }) {
            let why = releases.contains { $0.state == .undeployed } ? "undeployed, removed from its instances" : "no deploy succeeded"
            lines.append("\(app): no release is live (\(why)); `recipe deploy \(cluster) \(app)` or `recipe run` deploys it again")
        }
        func on(_ release: String) -> String {
            let names = fleet.filter { $0.release == release }.map(\.name)
            return names.isEmpty ? "" : "  on " + names.joined(separator: ", ")
        }
        func padded(_ text: String) -> String { text.count >= 12 ? text : text + String(repeating: " ", count: 12 - text.count) }
        if let open = unfinished, !releases.contains(where: { $0.release == open.release }) {
            lines.append("\(open.release)  \(padded(open.ref))  \(open.sha.prefix(12))  unfinished\(on(open.release))")
        }
        for release in releases {
            lines.append("\(release.release)  \(padded(release.ref))  \(release.sha.prefix(12))  \(release.state.rawValue)\(on(release.release))")
        }
        let known = Set(releases.map(\.release) + [unfinished?.release].compactMap { $0 })
        for member in fleet where !member.reachable || member.release.map({ !known.contains($0) }) == true {
            lines.append("\(member.name): " + (member.reachable ? "runs \(member.release!), which no deploy recorded" : "could not be asked what it runs"))
        }
        return lines
    }
}

extension Engine {
    public func releasesDocument(cluster: String, app: String) async throws -> ReleasesDocument {
        _ = try appSpec(cluster: cluster, app: app)  // an unknown cluster or app is refused by name
        let releases = try store.releases(cluster: cluster, app: app)
        // what serves is read from the instances: the history alone would miss an interrupted rollout
        let fleet = try await fleet(cluster: cluster, app: app)
        let open = try await unfinishedDeploys(cluster: cluster).first { $0.app == app }
        return ReleasesDocument(cluster: cluster, app: app, releases: releases, unfinished: open,
                                fleet: fleet.map { .init(name: $0.name, release: $0.release, reachable: $0.reachable) })
    }
}
