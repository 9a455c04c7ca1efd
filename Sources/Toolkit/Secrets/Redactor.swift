import Foundation

/// The one place text is cleaned before it leaves for a log, an event, an error or the terminal:
/// references become `***`, and so does any secret's value found in it (a command that printed
/// one). It knows the home's current values, read again when the secrets folder changes.
public final class Redactor: Sendable {
    private struct Known: Sendable {
        var values: [String] = []
        var changedAt: Date?
        var checkedAt = Date.distantPast
        var changesSeen = -1
    }

    private let vault: SecretVault?
    private let known = Locked(Known())

    /// Masks the values of the home's secrets (and references); with no home, references only.
    public init(home: URL?) {
        vault = home.map(SecretVault.init(home:))
    }

    /// The process's redactor, set once by whoever opens the home (the Store): what code with no
    /// Store at hand (terminal output, error text) cleans with.
    public static let shared = Locked<Redactor>(Redactor(home: nil))

    public func redact(_ text: String) -> String {
        let values = current()
        var text = SecretText.masked(text)
        for value in values where text.contains(value) {
            text = text.replacingOccurrences(of: value, with: SecretText.mask)
        }
        return text
    }

    public func redact(_ text: String?) -> String? { text.map { redact($0) } }

    /// `text` with the values of the secrets it refers to, read from the home at this moment
    /// (what an agent runs); they are masked from then on, even before the folder is read again.
    public func reveal(_ text: String) throws -> String {
        guard SecretText.hasReferences(text) else { return text }
        guard let vault else { throw CloudError("secrets are not available here: no home") }
        var revealed: [String] = []
        let clear = try SecretText.reveal(text) { name in
            let value = try vault.value(name)
            revealed.append(value)
            return value
        }
        known.withLock { known in
            let fresh = revealed.filter { !$0.isEmpty && !known.values.contains($0) }
            if !fresh.isEmpty { known.values = (known.values + fresh).sorted { $0.count > $1.count } }
        }
        return clear
    }

    /// The values, longest first (so a value inside another is not left half shown), looked up
    /// again after a change made in this process, or at most every half second when the folder's
    /// time has moved (another process's change).
    private func current() -> [String] {
        guard let vault else { return [] }
        let now = Date()
        let changes = SecretVault.changes.withLock { $0 }
        return known.withLock { known in
            let ownChange = changes != known.changesSeen
            guard ownChange || now.timeIntervalSince(known.checkedAt) > 0.5 else { return known.values }
            known.checkedAt = now
            known.changesSeen = changes
            let changed = vault.changedAt
            guard ownChange || changed != known.changedAt else { return known.values }
            known.changedAt = changed
            known.values = vault.values().values.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
            return known.values
        }
    }
}
