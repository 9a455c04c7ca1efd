import Cloud
import Foundation
import Store

/// The output of one hook run, or of one instance's part of a deploy, gathered while it runs:
/// the lines a hook logs and the commands it runs with what they printed, a deploy's steps and
/// build output. Kept to about twice what is stored, so a chatty hook costs bounded memory.
public final class LogCapture: Sendable {
    private struct Gathered: Sendable {
        var text = ""
        var dropped = 0
    }

    private let gathered = Locked(Gathered())

    public init() {}

    /// Where what runs now adds its output (a deploy's steps, a hook the engine runs); nil outside.
    @TaskLocal public static var current: LogCapture?

    /// Adds text, ending it with a newline.
    public func add(_ text: String) {
        guard !text.isEmpty else { return }
        gathered.withLock { g in
            g.text += text.hasSuffix("\n") ? text : text + "\n"
            let size = g.text.utf8.count
            guard size > 2 * Store.logBytes else { return }
            let kept = g.text.utf8.suffix(Store.logBytes).drop { $0 & 0xC0 == 0x80 }
            g.dropped += size - kept.count
            g.text = String(decoding: kept, as: UTF8.self)
        }
    }

    /// A command and what it printed, as one piece (commands run in parallel do not interleave).
    public func add(command: String, _ result: CommandResult) {
        add("$ \(command)\n" + Self.output(result) + (result.code == 0 ? "" : "exit \(result.code)\n"))
    }

    /// stdout, then stderr, each ending with a newline.
    public static func output(_ result: CommandResult) -> String {
        [result.stdout, result.stderr].filter { !$0.isEmpty }.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
    }

    /// What was gathered, saying how much went when it was more than the bound.
    public var text: String {
        let g = gathered.value
        return LogEntry.bounded(g.text, dropped: g.dropped)
    }
}
