import Cloud
import Foundation

/// A secret's value as `recipe secret set` reads it: all of stdin when it is not a terminal
/// (one trailing newline dropped, as `echo` adds one), else one line typed without echo.
enum SecretInput {
    static func read(prompt: String) throws -> String {
        guard isatty(STDIN_FILENO) != 0 else {
            var text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            return try nonEmpty(text)
        }
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return try nonEmpty(readLine(strippingNewline: true) ?? "")
    }

    private static func nonEmpty(_ value: String) throws -> String {
        guard !value.isEmpty else { throw CloudError("a secret's value cannot be empty") }
        return value
    }
}
