import Foundation
import TestSupport

/// A small Python HTTP server on 127.0.0.1 and a port of the kernel's choosing (by default a
/// static file server, for archive sources); stopped by its PID.
final class FileServer: @unchecked Sendable {
    let process = Process()
    let port: Int

    convenience init(serving folder: URL) throws {
        try self.init(script: """
            import functools, http.server, sys
            class Quiet(http.server.SimpleHTTPRequestHandler):
                def log_message(self, *a): pass
            s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """, argument: folder.path)
    }

    /// A Python server `script` (given `argument`) that prints its port on its first line.
    init(script: String, argument: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, argument]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try Launch.run(process)
        var line = Data()
        while let byte = try pipe.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw HarnessError("the file server did not start")
        }
        self.port = port
    }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    /// SIGKILL: children of a Foundation process inherit its blocked signals, so SIGTERM may never land.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
