import Foundation

/// A real PostgreSQL (Debian's) for a test: `initdb` into a temporary folder, the server on
/// 127.0.0.1 at a free port with its socket in that folder, trust authentication for the
/// `recipe` role on loopback only. Run as the `postgres` user when the test runs as root (the
/// server refuses root). Stopped by its PID on `stop()` or when dropped; the folder goes with it.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let folder: URL
    let process: Process

    /// `postgres://recipe@127.0.0.1:PORT/recipe`.
    public var url: String { "postgres://recipe@127.0.0.1:\(port)/recipe" }

    public init() throws {
        port = try FreePort.find()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-pg-\(UUID().uuidString.prefix(8))")
        let data = folder.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let bin = try Self.binaries()
        let asPostgres = geteuid() == 0
        if asPostgres { try Self.shell(["chown", "-R", "postgres:postgres", folder.path]) }
        func command(_ arguments: [String]) -> [String] { asPostgres ? ["runuser", "-u", "postgres", "--"] + arguments : arguments }
        try Self.shell(command(["\(bin)/initdb", "-D", data.path, "-U", "recipe", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"]))
        process = Process()
        let server = command(["\(bin)/postgres", "-D", data.path, "-h", "127.0.0.1", "-p", String(port), "-k", folder.path,
                              "-c", "fsync=off", "-c", "full_page_writes=off"])
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = server
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try Launch.run(process)
        var waited = 0.0
        while !MotoServer.listening(port), waited < 30 {
            guard process.isRunning else { throw TestSupportError("postgres exited at start (initdb in \(data.path))") }
            usleep(100_000)
            waited += 0.1
        }
        // a listening port is not a ready server: it answers "the database system is starting up" a while
        let createdb = command(["\(bin)/createdb", "-h", "127.0.0.1", "-p", String(port), "-U", "recipe", "recipe"])
        while true {
            do {
                try Self.shell(createdb)
                break
            } catch let error as TestSupportError where error.description.contains("starting up") && waited < 60 {
                usleep(200_000)
                waited += 0.2
            }
        }
    }

    deinit { stop() }

    public func stop() {
        // the server's own PID (runuser's child when run as postgres), from its pid file: an immediate shutdown
        let pidFile = folder.appendingPathComponent("data/postmaster.pid")
        if let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) {
            kill(pid, SIGQUIT)
        }
        Reaper.wait(process)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Debian's server binaries: /usr/lib/postgresql/VERSION/bin (not on PATH), the newest.
    static func binaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        guard let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb") else {
            throw TestSupportError("PostgreSQL's initdb not found under \(root): run `make test` (it installs Debian's postgresql)")
        }
        return "\(root)/\(newest)/bin"
    }

    static func shell(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try Launch.run(process)
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSupportError("\(arguments.joined(separator: " ")): \(said)") }
    }
}
