import CProcess
import Foundation

/// Starts processes the way the local provider needs them: detached agents, and services
/// in their own session that die with the agent that started them.
public enum Spawner {
    public struct Options {
        public var executable: String
        public var arguments: [String]
        /// The whole environment of the new process; nil inherits ours.
        public var environment: [String: String]?
        public var directory: String?
        public var stdout: String?
        public var stderr: String?
        /// Own session and process group, so the whole tree can be signalled at once.
        public var newSession = true
        /// Signal the process receives when the spawning thread dies (SIGKILL for services).
        public var parentDeathSignal: Int32 = 0
        /// Reparent away at once: for agents, which outlive the CLI that launched them.
        public var detach = false

        public init(executable: String, arguments: [String]) {
            self.executable = executable
            self.arguments = arguments
        }
    }

    public static func spawn(_ options: Options) throws -> pid_t {
        let argv = ([options.executable] + options.arguments).map { strdup($0) }
        let envp = options.environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } }
        defer {
            argv.forEach { free($0) }
            envp?.forEach { free($0) }
        }
        var error: Int32 = 0
        let pid: pid_t = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            withOptionalArray(envp.map { $0 + [nil] }) { envpPointer in
                withOptionalCString(options.directory) { cwd in
                    withOptionalCString(options.stdout) { out in
                        withOptionalCString(options.stderr) { err in
                            options.executable.withCString { path in
                                var spec = cs_spawn_options(
                                    path: path, argv: argvBuffer.baseAddress, envp: envpPointer, cwd: cwd,
                                    stdout_path: out, stderr_path: err, new_session: options.newSession ? 1 : 0,
                                    parent_death_signal: options.parentDeathSignal, detach: options.detach ? 1 : 0)
                                return cs_spawn(&spec, &error)
                            }
                        }
                    }
                }
            }
        }
        guard pid > 0 else {
            throw CloudError("cannot start \(options.executable): \(String(cString: strerror(error)))")
        }
        return pid
    }

    private static func withOptionalCString<T>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
        guard let s else { return body(nil) }
        return s.withCString { body($0) }
    }

    private static func withOptionalArray<T>(
        _ array: [UnsafeMutablePointer<CChar>?]?, _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> T
    ) -> T {
        guard let array else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
