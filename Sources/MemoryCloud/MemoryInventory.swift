import Cloud
import Foundation

/// Everything a memory provider holds, Codable so a home can keep it between commands.
struct MemoryInventory: Codable, Sendable {
    var instances: [String: Instance] = [:]
    var volumes: [String: Volume] = [:]
    var addresses: [String: Address] = [:]
    var snapshots: [String: Snapshot] = [:]
    var firewall: [String: [FirewallRule]] = [:]
    var keys: [String: [String: String]] = [:]
    /// Files written on instances: id → path → contents.
    var files: [String: [String: String]] = [:]
    /// Commands run on instances, in order: (instance id, command).
    var commands: [[String]] = []
    /// Instances whose agent is gone (lost behind the tool's back).
    var lost: Set<String> = []
    /// Instances whose status checks fail: id → why.
    var impaired: [String: String] = [:]
    /// Metric samples: instance → name → [(time, value)].
    var samples: [String: [String: [[Double]]]] = [:]
    var counter = 0

    mutating func nextID(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)-m\(String(counter, radix: 16))"
    }
}
