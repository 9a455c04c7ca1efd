import Cloud
import Foundation
import Store

/// An app's release folders on one instance at a time: unpack and build, switch `current`
/// atomically, restart and wait for the health check, prune, remove.
struct Releases: Sendable {
    let engine: Engine
    let app: AppSpec

    /// Every command a deploy sends is a `ShellCommand`: names, paths and refs go in quoted.
    func shell(_ instance: Instance, _ command: ShellCommand, timeout: Double = 120) async throws -> CommandResult {
        try await engine.run(on: instance.id, command: command.text, timeout: timeout, bookkeeping: true)
    }

    /// The release `current` points at (nil before the first deploy).
    func current(on instance: Instance) async throws -> String? {
        try await Self.current(of: app.name, engine: engine, on: instance)
    }

    /// What `app`'s `current` points at on `instance`: the truth of what it runs.
    static func current(of app: String, engine: Engine, on instance: Instance) async throws -> String? {
        let link: ShellCommand = "readlink \(AppSpec.folder(of: app) + "/current") || true"
        let out = try await engine.run(on: instance.id, command: link.text, timeout: 120, bookkeeping: true).stdout.trimmed
        return out.isEmpty ? nil : String(out.split(separator: "/").last!)
    }

    /// Unpacks the release and runs its build, in a folder that only gets its name once both worked.
    func install(_ release: String, archive: URL, on instance: Instance) async throws {
        let dir = "\(app.folder)/releases/\(release)", part = dir + ".part"
        if try await shell(instance, "test -d \(dir)").code == 0 { return }
        step(instance, "unpacking \(release)")
        // the free space is asked first: a release that does not fit is refused before a byte is written
        let size = (try? FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? NSNumber)??.int64Value ?? 0
        let needed = size + ArchiveSource.reserve
        let staged = try await engine.provider(for: instance.cluster).stage(archive: archive, on: instance)
        // a copy fetched for this unpack goes with it
        let cleanup: ShellCommand = staged == archive.path ? "" : " rm -f \(staged);"
        let unpacked = try await shell(instance, "rm -rf \(part) && mkdir -p \(part) && "
            + "free=$(df -Pk \(part) | awk 'NR == 2 { print $4 }') && if [ $((free * 1024)) -lt \(String(needed)) ]; then "
            + "echo \"not enough free space: $((free / 1024)) MB free, \"\(String(needed >> 20))\" MB needed\" >&2; rm -rf \(part); exit 28; fi; "
            + "tar -xf \(staged) -C \(part) || { code=$?; rm -rf \(part);\(cleanup) exit $code; };\(cleanup) true")
        guard unpacked.code == 0 else {
            throw CloudError("could not unpack \(release): \(unpacked.stderr.trimmed); the release that serves is untouched")
        }
        if let build = app.build {
            step(instance, "building (\(build))")
            let built = try await shell(instance, "cd \(part) && \(app.environment) sh -c \(build) 2>&1",
                                        timeout: app.buildTimeout)
            LogCapture.current?.add(LogCapture.output(built) + (built.code == 0 ? "" : "exit \(built.code)\n"))
            guard built.code == 0 else {
                _ = try? await shell(instance, "rm -rf \(part)")
                throw CloudError("build (\(build)) exited \(built.code); last lines:\n\(Self.tail(built.stdout + built.stderr))")
            }
        }
        let named = try await shell(instance, "mv \(part) \(dir)")
        guard named.code == 0 else { throw CloudError("could not keep \(release): \(named.stderr.trimmed)") }
    }

    /// Switches `current` atomically; with `restart`, restarts the app and waits for its health check.
    func activate(_ release: String, on instance: Instance, restart: Bool = true) async throws {
        let switched = try await shell(instance, "ln -sfn \("releases/" + release) \(app.folder + "/current.new") && mv -T \(app.folder + "/current.new") \(app.folder + "/current")")
        guard switched.code == 0 else { throw CloudError("could not switch to \(release): \(switched.stderr.trimmed)") }
        guard restart else { return }
        step(instance, "starting \(release)")
        let logStart = try await logSize(on: instance)
        try await self.restart(on: instance)
        try await waitHealthy(instance, logFrom: logStart)
        step(instance, "in service")
    }

    /// A progress line about this app on `instance`, and a line of its deploy log there.
    func step(_ instance: Instance, _ text: String) {
        engine.progress.step(instance.cluster, instance.name, "app \(app.name): \(text)")
        LogCapture.current?.add(text)
    }

    /// Runs `body` with its steps and build output gathered, and keeps them as the instance's deploy
    /// log of `release` (`what`: a deploy, a return to an earlier release).
    func logged<T: Sendable>(_ instance: Instance, _ what: String, _ body: () async throws -> T) async throws -> T {
        let output = LogCapture()
        func keep(_ result: String) {
            engine.keep(LogEntry(cluster: instance.cluster, instance: instance.name, instanceID: instance.id, kind: .deploy,
                                 source: "app \(app.name) \(what)", text: output.text, result: result))
        }
        do {
            let value = try await LogCapture.$current.withValue(output) { try await body() }
            keep("ok")
            return value
        } catch {
            keep("failed: \(error)")
            throw error
        }
    }

    /// Asks the agent to restart the app's service at once (the command's parent is the agent).
    func restart(on instance: Instance) async throws {
        _ = try await shell(instance, "mkdir -p run && touch \("run/restart-app-" + app.name) && kill -USR1 $PPID")
    }

    /// The app's log, shared by its releases: a failing start quotes only what it wrote after this size.
    var log: String { "var/log/app-\(app.name).log" }

    func logSize(on instance: Instance) async throws -> Int {
        Int(try await shell(instance, "wc -c < \(log) 2>/dev/null || echo 0").stdout.trimmed) ?? 0
    }

    /// Back to `previous`, or to no release at all.
    func restore(_ previous: String?, on instance: Instance) async throws {
        if let previous {
            try await activate(previous, on: instance)
        } else {
            try await stop(on: instance)
        }
    }

    /// No `current`: the service stops the app and waits for a release again.
    func stop(on instance: Instance) async throws {
        _ = try await shell(instance, "rm -f \(app.folder + "/current")")
        try await restart(on: instance)
    }

    func removeAll(on instance: Instance) async throws {
        _ = try await shell(instance, "rm -rf \(app.folder + "/releases")")
    }

    /// Keeps the newest `keep` releases.
    func prune(on instance: Instance) async throws {
        _ = try await shell(instance, "cd \(app.folder + "/releases") && ls -1 | sort | head -n -\(app.keep) | xargs -r rm -rf")
    }

    static func tail(_ text: String, lines: Int = 15) -> String {
        text.trimmed.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
