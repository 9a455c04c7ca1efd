import Foundation
import LocalCloud

/// A path a command names on a remote agent's machine: absolute, or relative to the root (where
/// commands run). The whole machine takes it as it is; a machine in a folder keeps it inside.
enum MachinePath {
    static func resolve(_ path: String, root: URL, followLast: Bool) throws -> URL {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        return root.path == "/" ? URL(fileURLWithPath: absolute) : try InstancePath(root: root, volumes: []).resolve(absolute, followLast: followLast)
    }
}
