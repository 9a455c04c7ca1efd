import Foundation
import Store

/// What the scheduler's exactly-once tests kill a scheduler under: a recipe whose one hook on
/// `load.ping` is exclusive and takes 20 ms, so events queue up behind it, and a recipe that
/// emits 100 of them for `cluster`.
struct PingLoad {
    static let hook = "#on:load.ping#1"
    let hooks: String
    let emitter: String

    init(_ h: Harness, cluster: String) throws {
        hooks = try h.write("pings.lua", """
            on("load.ping", function(e)
              local t = os.clock()
              while os.clock() - t < 0.02 do end
            end, { exclusive = true })
            """)
        emitter = try h.write("emit.lua", """
            for i = 1, 100 do emit("load.ping", { cluster = "\(cluster)", detail = tostring(i) }) end
            """)
    }

    /// How many pings there are, whether their hooks all ended ok within `timeout`, and the
    /// pings whose hook ended ok other than once.
    static func outcome(_ store: Store, timeout: Double = 30) throws -> (pings: Int, ended: Bool, notOnce: [Int64]) {
        let pings = try store.events(kind: "load.ping").compactMap(\.id)
        let ended = Harness.eventually(timeout: timeout) {
            (try? store.hookRuns(limit: 100_000).filter { $0.hook.hasSuffix(hook) && $0.state == .ok }.count) ?? 0 >= pings.count
        } != nil
        let runs = try store.hookRuns(limit: 100_000).filter { $0.hook.hasSuffix(hook) }
        return (pings.count, ended, pings.filter { id in runs.filter { $0.eventID == id && $0.state == .ok }.count != 1 })
    }
}
