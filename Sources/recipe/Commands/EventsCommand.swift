import ArgumentParser
import Foundation
import Store

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "The event (audit) log.")

    @OptionGroup var home: HomeOptions

    @Option(name: .long, help: "Only this cluster's events.")
    var cluster: String?

    @Option(name: .long, help: "Only events of this kind (e.g. instance.launched).")
    var kind: String?

    @Flag(name: .long, help: "Print JSON lines.")
    var json = false

    @Flag(name: .long, help: "Keep printing new events.")
    var follow = false

    func run() async throws {
        let store = try Store(home: Store.home(explicit: home.home))
        var last: Int64 = 0
        repeat {
            for event in try store.events(cluster: cluster, after: last, kind: kind) {
                last = event.id ?? last
                if json {
                    try Terminal.printJSON(event, pretty: false)
                } else {
                    let time = Terminal.time(event.time)
                    print("\(time)  \(event.kind.padding(20))  \((event.subject ?? "-").padding(16))  \(event.result)"
                          + (event.detail.map { "  \($0)" } ?? "") + "  [\(event.actor)]")
                }
            }
            if follow { try await Task.sleep(nanoseconds: 500_000_000) }
        } while follow
    }
}
