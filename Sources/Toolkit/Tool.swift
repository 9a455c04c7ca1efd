import Foundation

/// Runs a program on this machine (tar, git) and collects its exit code and output.
public enum Tool {
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                           environment: [String: String]? = nil) async throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-tool-\(UUID().uuidString)")
        let out = scratch.path + ".out", err = scratch.path + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        var options = Spawner.Options(executable: executable, arguments: arguments)
        options.newSession = false
        options.directory = directory
        options.environment = environment
        options.stdout = out
        options.stderr = err
        let pid = try Spawner.spawn(options)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(nanoseconds: 5_000_000) }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CommandResult(code: code, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Like `run`, but a non-zero exit is an error carrying the program's own words.
    @discardableResult
    public static func check(_ executable: String, _ arguments: [String], in directory: String? = nil) async throws -> String {
        let result = try await run(executable, arguments, in: directory)
        guard result.code == 0 else {
            let said = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw CloudError("\(executable) \(arguments.first ?? "") failed (exit \(result.code)): \(said)")
        }
        return result.stdout
    }
}
