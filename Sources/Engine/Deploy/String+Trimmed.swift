import Foundation

extension String {
    /// Without leading and trailing whitespace and newlines (command output).
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
