/// What long work tells whoever waits for it, one line per step as it happens: instances
/// launching and coming online, hooks running, each instance's part of a deploy, what destroy
/// removes. Not events: the steps are for the person at the terminal, the event log keeps what
/// happened. The CLI prints them; the scheduler and the tests leave them out (`silent`).
public struct ProgressLines: Sendable {
    let report: @Sendable (String) -> Void

    public init(_ report: @escaping @Sendable (String) -> Void) {
        self.report = report
    }

    public static let silent = ProgressLines { _ in }

    /// `CLUSTER: SUBJECT: TEXT` (or `CLUSTER: TEXT`).
    func step(_ cluster: String, _ subject: String? = nil, _ text: String) {
        report(subject.map { "\(cluster): \($0): \(text)" } ?? "\(cluster): \(text)")
    }
}
