import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Steady GET requests to one URL, each on its own connection, from a thread of its own, until
/// stopped: counts the failures and the distinct first words of the answers.
final class LoadGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private(set) var sent = 0
    private(set) var failures: [String] = []
    private(set) var answers: Set<String> = []
    /// Answers since the last `takeAnswers`.
    private var answeredSinceTake = 0
    /// How many times answers were taken: a request remembers the count it was sent under.
    private var generation = 0
    private let thread: Thread
    private let done = DispatchSemaphore(value: 0)

    init(url: String, perSecond: Double) {
        let box = Box()
        thread = Thread { box.generator?.loop(URL(string: url)!, interval: 1 / perSecond) }
        box.generator = self
        thread.start()
    }

    private final class Box: @unchecked Sendable { weak var generator: LoadGenerator? }
    /// One request's outcome, written by the session's callback before the semaphore is signalled.
    private final class Outcome: @unchecked Sendable {
        var body: String?
        var failure: String?
    }

    private func loop(_ url: URL, interval: Double) {
        defer { done.signal() }
        let session = URLSession(configuration: .ephemeral)
        var next = Date()
        while lock.withLock({ running }) {
            var request = URLRequest(url: url, timeoutInterval: 5)
            request.setValue("close", forHTTPHeaderField: "Connection")
            let answered = DispatchSemaphore(value: 0)
            let outcome = Outcome()
            let round = lock.withLock { generation }
            session.dataTask(with: request) { data, response, error in
                if let error {
                    outcome.failure = error.localizedDescription
                } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                    outcome.failure = "HTTP \(http.statusCode)"
                } else {
                    outcome.body = String(decoding: data ?? Data(), as: UTF8.self)
                }
                answered.signal()
            }.resume()
            answered.wait()
            lock.withLock {
                sent += 1
                if let body = outcome.body {
                    // a request sent before the last take answers what was true then: not counted
                    if round == generation {
                        answers.insert(String(body.split(separator: " ").first ?? ""))
                        answeredSinceTake += 1
                    }
                } else {
                    failures.append(outcome.failure ?? "no answer")
                }
            }
            next += interval
            let wait = next.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
    }

    /// Stops and returns (requests sent, failures, answers seen).
    func stop() -> (sent: Int, failures: [String], answers: Set<String>) {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { (sent, failures, answers) }
    }

    /// Answers seen so far; clears them, and from now on counts only requests sent after this.
    func takeAnswers() -> Set<String> {
        lock.withLock { defer { answers = []; answeredSinceTake = 0; generation += 1 }; return answers }
    }

    /// Clears what was seen, then the answers of the next `count` requests that get one (or of
    /// those answered within `timeout` seconds): a starved machine may send fewer than asked.
    func nextAnswers(_ count: Int = 10, timeout: Double = 10) -> Set<String> {
        _ = takeAnswers()
        let deadline = Date().addingTimeInterval(timeout)
        while lock.withLock({ answeredSinceTake }) < count && Date() < deadline { usleep(20_000) }
        return takeAnswers()
    }
}
