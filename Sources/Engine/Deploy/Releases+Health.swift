import Cloud
import Foundation

/// The health check of a restarted app: what it got is told at once (the status and the body's
/// first line, or the connection error), and a wrong answer fails the rollout in about a second
/// instead of waiting out the health timeout, which is for an app that does not answer yet.
extension Releases {
    /// Wrong answers in a row (0.25 s apart) that fail the check: an app still warming up may
    /// answer 503 once.
    static let wrongAnswersToFail = 3

    func waitHealthy(_ instance: Instance, logFrom start: Int) async throws {
        let timeout = app.healthTimeout
        let deadline = Date().addingTimeInterval(timeout)
        let request = "GET \(app.health)"
        step(instance, "health check \(request) on port \(app.port)")
        // give the old process time to go, so the check does not answer from it
        try await Task.sleep(nanoseconds: 300_000_000)
        var wrong = 0
        var last = HealthAnswer(status: 0, line: "", error: "no answer yet")
        while Date() < deadline {
            last = HealthAnswer(try await shell(instance, probe))
            if last.healthy { return }
            wrong = last.status > 0 ? wrong + 1 : 0
            if wrong >= Self.wrongAnswersToFail {
                let failure = "\(request) → \(last.text)"
                step(instance, failure)
                throw CloudError("app \(app.name): \(failure)")
            }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let failure = last.status > 0 ? "\(request) → \(last.text)" : "\(request) → no answer within \(Int(timeout)) s (\(last.text))"
        step(instance, failure)
        throw CloudError("app \(app.name): \(failure); last log lines:\n\(try await logLines(on: instance, from: start))")
    }

    /// The log's last lines written since `start` (from the top when it was cut since).
    private func logLines(on instance: Instance, from start: Int) async throws -> String {
        let size = try await logSize(on: instance)
        let from = size < start ? 1 : start + 1
        return Self.tail(try await shell(instance, "tail -c +\(from) \(log) 2>/dev/null | tail -n 15").stdout)
    }

    /// Prints the status code (000 without an answer), then the body's first line; curl's error on stderr.
    private var probe: ShellCommand {
        let body = "run/health-\(app.name).body"
        return "mkdir -p run; curl -sS -o \(body) -w '%{http_code}\\n' --max-time 2 http://$ADDRESS:\(app.port)\(app.health); "
            + "head -n 1 \(body) 2>/dev/null; rm -f \(body)"
    }
}
