import Foundation
import Testing
import TestSupport

/// The README's walkthrough, run top to bottom as a new user would, in one shell: every
/// command's exit code is checked (0, or the `# exit N` its comment names).
@Suite struct ReadmeWalkthroughTests {
    /// The walkthrough's lines with their README line numbers and expected exit codes.
    static func walkthrough() throws -> [(line: Int, command: String, exit: Int)] {
        let readme = try String(contentsOf: Harness.repo.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.components(separatedBy: "\n")
        guard let section = lines.firstIndex(of: "## Walkthrough"),
              let open = lines[section...].firstIndex(of: "```sh"),
              let close = lines[(open + 1)...].firstIndex(of: "```") else {
            throw HarnessError("README.md has no ## Walkthrough section with a ```sh block")
        }
        let expected = try Regex(#"#\s*exit (\d+)"#)
        return lines[(open + 1)..<close].enumerated().compactMap { offset, text in
            let command = text.trimmingCharacters(in: .whitespaces)
            guard !command.isEmpty, !command.hasPrefix("#") else { return nil }
            let code = (try? expected.firstMatch(in: command)).flatMap { $0.output[1].substring.flatMap { Int($0) } } ?? 0
            return (open + 2 + offset, command, code)
        }
    }

    @Test func theReadmeWalkthroughRunsTopToBottom() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let steps = try Self.walkthrough()
        #expect(steps.count >= 10, "the walkthrough has its commands")
        // The walkthrough's `export PATH=…/.build/release…` points at `make run`'s build; this
        // test runs the build under test instead, first on PATH.
        var script = "export PATH=\(Harness.binary.deletingLastPathComponent().path):$PATH\n"
        for step in steps where !step.command.hasPrefix("export PATH=") {
            script += """
                echo "== README.md:\(step.line)"
                \(step.command)
                code=$?
                if [ "$code" -ne \(step.exit) ]; then echo "README.md:\(step.line): exit $code, expected \(step.exit)" >&2; exit 1; fi

                """
        }
        let file = h.scratch.appendingPathComponent("walkthrough.sh")
        try script.write(to: file, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [file.path]
        process.currentDirectoryURL = Harness.repo
        var environment = ProcessInfo.processInfo.environment
        environment["RECIPE_HOME"] = h.home.path
        process.environment = environment
        let log = h.home.appendingPathComponent("walkthrough.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try Launch.run(process)
        try? handle.close()
        let deadline = Date().addingTimeInterval(600)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("no clusters"), "the walkthrough ends with nothing left: \(output)")
        #expect(h.agentPIDs().isEmpty, "no agent left running")
    }
}
