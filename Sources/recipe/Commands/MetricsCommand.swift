import ArgumentParser
import Engine
import Foundation
import Store

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Metric samples of a cluster's instances, or push one.",
        subcommands: [MetricsShowCommand.self, MetricsPutCommand.self], defaultSubcommand: MetricsShowCommand.self)
}

struct MetricsShowCommand: AsyncParsableCommand, ThroughAPI {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "The latest value of each metric per instance; every sample, oldest first, with --all.")

    @OptionGroup var home: HomeOptions

    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster))
    var cluster: String

    @Option(name: .long, help: "Only this layer.")
    var layer: String?

    @Option(name: .long, help: "Only this metric (cpu, memory, or one that was pushed).")
    var name: String?

    @Option(name: .long, help: "How far back: 30s, 10m, 1h, 1d.")
    var since = "10m"

    @Flag(name: .long, help: "Every sample, oldest first, instead of the latest per instance and metric.")
    var all = false

    @Flag(name: .long, help: "Print JSON (every sample).")
    var json = false

    struct Sample: Codable {
        var instance: String
        var time: Double
        var name: String
        var value: Double
    }

    func run() async throws {
        let seconds: Double
        do { seconds = try Interval.seconds(since) } catch {
            Terminal.error("--since: \(error)")
            throw ExitCode(1)
        }
        if let api = try ClientMode.controller() {
            let data = try await api.get("clusters/\(cluster)/metrics", ["since": since, "layer": layer, "name": name])
            if json { return Terminal.document(data) }
            return show(try api.decode([Sample].self, data))
        }
        let store = try home.store()
        let instances = try await Engine.cli(store).listInstances(cluster: cluster, layer: layer)
        guard try !instances.isEmpty || store.cluster(cluster) != nil else {
            Terminal.error("no cluster named \(cluster)")
            throw ExitCode(1)
        }
        let names = Dictionary(instances.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let samples = try store.metricSamples(instances: instances.map(\.id), name: name, since: Date().addingTimeInterval(-seconds))
            .map { Sample(instance: names[$0.instance] ?? $0.instance, time: $0.time.timeIntervalSince1970, name: $0.name, value: $0.value) }
        if json {
            try Terminal.printJSON(samples, pretty: true)
            return
        }
        show(samples)
    }

    private func show(_ samples: [Sample]) {
        if all {
            for s in samples {
                print("\(Terminal.time(Date(timeIntervalSince1970: s.time)))  \(s.instance.padding(12))  \(s.name.padding(12))  \(s.value)")
            }
        } else {
            printLatest(samples)
        }
    }

    /// One row per instance and metric: its latest value, rounded, and how long ago it was taken.
    private func printLatest(_ samples: [Sample]) {
        guard !samples.isEmpty else {
            print("no samples from cluster \(cluster) in the last \(since)")
            return
        }
        var latest: [String: Sample] = [:]
        for s in samples { latest["\(s.instance)\u{0}\(s.name)"] = s }  // oldest first: the last one wins
        let rows = latest.values.sorted { ($0.instance, $0.name) < ($1.instance, $1.name) }
        let now = Date().timeIntervalSince1970
        // each column as wide as its widest cell or heading, plus two spaces
        let instanceWidth = (rows.map(\.instance.count) + [8]).max()! + 2, nameWidth = (rows.map(\.name.count) + [6]).max()! + 2
        let valueWidth = (rows.map { Self.rounded($0.value).count } + [6]).max()! + 2
        print("INSTANCE".padding(instanceWidth) + "METRIC".padding(nameWidth) + "LATEST".padding(valueWidth) + "AGE")
        for s in rows {
            print(s.instance.padding(instanceWidth) + s.name.padding(nameWidth) + Self.rounded(s.value).padding(valueWidth)
                  + "\(Int(max(0, now - s.time)))s ago")
        }
        print("(latest of \(samples.count) samples in the last \(since); every one with --all)")
    }

    /// 12.3456 → "12.3", 40 → "40".
    static func rounded(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() && abs(tenths) < 1e15 ? String(Int64(tenths)) : String(format: "%.1f", tenths)
    }
}

struct MetricsPutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Push one sample for an instance.")

    @OptionGroup var home: HomeOptions

    @Argument(help: "The cluster.", transform: NameArgument.of(.cluster))
    var cluster: String

    @Argument(help: "The instance, by name (web-1) or id.", transform: NameArgument.of(.instance))
    var instance: String

    @Argument(help: "The metric's name.")
    var name: String

    @Argument(help: "The value.")
    var value: Double

    @Option(help: "How long ago it was sampled, e.g. 90s, 50m or 2d (default: now): to load a history.")
    var ago: String?

    func run() async throws {
        let store = try home.store()
        let instances = try await Engine.cli(store).listInstances(cluster: cluster, layer: nil)
        guard let target = instances.first(where: { $0.name == instance || $0.id == instance }) else {
            Terminal.error("cluster \(cluster) has no instance \(instance)")
            throw ExitCode(1)
        }
        guard value.isFinite else {
            Terminal.error("the value must be a finite number")
            throw ExitCode(1)
        }
        var time = Date()
        if let ago {
            do { time.addTimeInterval(-(try Interval.seconds(ago))) } catch {
                Terminal.error("--ago: \(error)")
                throw ExitCode(1)
            }
        }
        try store.putMetric(instance: target.id, name: name, value: value, at: time)
    }
}
