import Cloud
import Foundation
import Store
#if canImport(Glibc)
import Glibc
#endif

/// This process as a lock holder: pid, host, start time and command line.
struct ProcessIdentity: Sendable {
    let pid: Int32
    let host: String
    let started: Int64
    let command: String
    let actor: String

    static let current = ProcessIdentity(
        pid: getpid(), host: ProcessInfo.processInfo.hostName, started: ProcessControl.startTime(of: getpid()) ?? 0,
        command: (["recipe"] + CommandLine.arguments.dropFirst()).joined(separator: " "), actor: Engine.defaultActor)

    /// A holder on this host whose process is gone, or whose pid now names another process.
    /// One on another host cannot be checked from here, and is taken as alive.
    func isDead(_ lock: ClusterLock) -> Bool {
        guard lock.host == host else { return false }
        if isSelf(lock) { return false }
        guard kill(lock.pid, 0) == 0 || errno == EPERM else { return true }
        return ProcessControl.startTime(of: lock.pid).map { $0 != lock.started } ?? true
    }

    func isSelf(_ lock: ClusterLock) -> Bool {
        lock.host == host && lock.pid == pid && lock.started == started
    }
}
