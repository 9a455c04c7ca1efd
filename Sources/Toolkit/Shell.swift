/// The one quoting helper for shell text sent to instances.
public enum Shell {
    /// `value` as one single-quoted shell word; a secret it refers to is quoted as it is revealed.
    public static func quote(_ value: String) -> String {
        SecretText.hasReferences(value) ? SecretText.quote(value) : plain(value)
    }

    static func plain(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Whether `name` can be an environment variable's name.
    public static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}

/// Shell text built one way: what is written in the literal is shell, every string interpolated
/// into it is one quoted word (`"rm -rf \(dir)"` removes the folder named `dir`, whatever its
/// name holds), numbers go in as they are, and a `ShellCommand` goes in as the shell it already is.
public struct ShellCommand: ExpressibleByStringInterpolation, Sendable, Equatable, CustomStringConvertible {
    public let text: String

    public init(stringLiteral value: String) { text = value }

    /// Shell a user wrote as shell (an app's `start`, a `build` step, a `run()` command): taken as it is.
    public init(userShell: String) { text = userShell }
    public init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }

    public var description: String { text }

    /// `NAME='value'`, for `env`; nil when `name` is not a variable's name.
    public static func assignment(_ name: String, _ value: String) -> ShellCommand? {
        Shell.isVariableName(name) ? ShellCommand(text: name + "=" + Shell.quote(value)) : nil
    }

    public static func + (lhs: ShellCommand, rhs: ShellCommand) -> ShellCommand { ShellCommand(text: lhs.text + rhs.text) }

    /// Commands one after the other, joined by `separator` (`" && "`, `"; "`).
    public static func joined(_ commands: [ShellCommand], separator: String) -> ShellCommand {
        ShellCommand(text: commands.map(\.text).joined(separator: separator))
    }

    private init(text: String) { self.text = text }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        public init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        public mutating func appendLiteral(_ literal: String) { text += literal }
        public mutating func appendInterpolation(_ word: String) { text += Shell.quote(word) }
        public mutating func appendInterpolation(_ number: Int) { text += String(number) }
        public mutating func appendInterpolation(_ command: ShellCommand) { text += command.text }
    }
}
