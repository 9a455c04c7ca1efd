import Cloud
import Foundation

/// A provider that holds its inventory in memory: instances are records, commands are logged and
/// answered by `responder`, time comes from an injected clock, and faults are injected on purpose
/// (`fail`, `lose`, `impair`). It is a real provider, selectable as `provider = "memory"`: the fast
/// test tier runs the planner, apply, lifecycle and scheduler against it, and a recipe can be tried
/// on it without touching a machine. With a `file`, its inventory outlives the process (one
/// process at a time: it is not shared safely between concurrent commands).
public final class MemoryProvider: CloudProvider, Sendable {
    public var kind: String { "memory" }

    public typealias Clock = @Sendable () -> Date
    /// Answers a command run on an instance (instance, command) → result; exit 0 and no output by default.
    public typealias Responder = @Sendable (Instance, String) -> CommandResult

    public typealias LifeEvent = Cloud.LifeEvent
    public typealias Recorder = LifeEvent.Recorder

    let clock: Clock
    let file: URL?
    let state: Locked<MemoryInventory>
    private let responder: Locked<Responder>
    /// Operation name (launch, terminate, attach, ...) → messages of the failures still to inject.
    private let failures: Locked<[String: [String]]>
    /// The file's version (inode and time: each write is a new file renamed into place) as this
    /// provider last read or wrote it: another's change is read before the next describe or change.
    private let fileTime: Locked<String?>
    private let recorder: Locked<Recorder?>
    /// Who the provider acts for, in what it records, and the region it says it runs in
    /// (`acting(as:region:)` makes a view of the same cloud for another).
    let actor: String
    let region: String?

    public init(clock: @escaping Clock = { Date() }, file: URL? = nil) {
        self.clock = clock
        self.file = file
        let saved = file.flatMap(Self.load)
        state = Locked(saved ?? MemoryInventory())
        fileTime = Locked(file.flatMap(Self.modified))
        responder = Locked({ _, _ in CommandResult(code: 0, stdout: "", stderr: "") })
        failures = Locked([:])
        recorder = Locked(nil)
        actor = "memory"
        region = nil
    }

    private init(sharing other: MemoryProvider, actor: String, region: String?) {
        clock = other.clock
        file = other.file
        state = other.state
        fileTime = other.fileTime
        responder = other.responder
        failures = other.failures
        recorder = other.recorder
        self.actor = actor
        self.region = region
    }

    /// The same cloud (inventory, faults, recorder), recording what it does as `actor`'s, in
    /// `region` (the recipe's `provider = { region = ... }`, which prices its hours).
    public func acting(as actor: String, region: String? = nil) -> MemoryProvider {
        MemoryProvider(sharing: self, actor: actor, region: region)
    }

    /// Where lives changed from now on are reported (nowhere by default).
    public func record(to recorder: @escaping Recorder) { self.recorder.withLock { $0 = recorder } }

    func report(_ kind: String, cluster: String, subject: String, detail: String? = nil, at time: Date) {
        recorder.value?(LifeEvent(kind: kind, cluster: cluster, subject: subject, detail: detail, time: time, actor: actor))
    }

    /// The tags accounting reads, with the cause the engine set around this call.
    func tags(layer: String? = nil, type: String? = nil, sizeGB: Int? = nil) -> UsageTags {
        UsageTags(cause: UsageTags.cause ?? "manual", layer: layer, instanceType: type, region: region, provider: kind, sizeGB: sizeGB)
    }

    // MARK: faults and scripting

    /// The next `times` calls of `operation` (launch, stop, start, terminate, createVolume, attach, detach,
    /// snapshot, allocateAddress, associate, run, writeFile, describe) fail with `message`.
    public func fail(_ operation: String, times: Int = 1, message: String = "injected failure") {
        failures.withLock { $0[operation, default: []] += Array(repeating: message, count: times) }
    }

    /// The instance's agent is gone, as if the machine died behind the tool's back.
    public func lose(_ id: String) { mutate { $0.lost.insert(id) } }

    /// The instance fails its status checks.
    public func impair(_ id: String, reason: String = "status checks impaired") { mutate { $0.impaired[id] = reason } }

    /// Stops or terminates an instance behind the tool's back (as a person at the cloud's console would).
    public func setStateBehindTheBack(_ id: String, _ new: Instance.State) {
        mutate { s in
            if new == .terminated { s.instances[id] = nil } else { s.instances[id]?.state = new }
        }
    }

    public func respond(with responder: @escaping Responder) { self.responder.withLock { $0 = responder } }

    /// A metric sample at the clock's time (or `at`).
    public func put(metric name: String, instance: String, value: Double, at time: Date? = nil) {
        let t = (time ?? clock()).timeIntervalSince1970
        mutate { $0.samples[instance, default: [:]][name, default: []].append([t, value]) }
    }

    /// Every command run so far, as (instance id, command).
    public var commands: [(instance: String, command: String)] { state.value.commands.map { ($0[0], $0[1]) } }

    /// The files written on an instance, path → contents.
    public func files(on instance: String) -> [String: String] { state.value.files[instance] ?? [:] }

    // MARK: plumbing

    /// Throws the next injected failure of `operation`, if any.
    func check(_ operation: String) throws {
        let message: String? = failures.withLock { queued in
            guard var list = queued[operation], !list.isEmpty else { return nil }
            let first = list.removeFirst()
            queued[operation] = list
            return first
        }
        if let message { throw CloudError("\(operation): \(message)") }
    }

    /// Changes the inventory: read again if another process wrote it, changed, and written back,
    /// all under this provider's lock and the file's flock, so no two writers lose each other's change.
    @discardableResult
    func mutate<T: Sendable>(_ body: (inout MemoryInventory) throws -> T) rethrows -> T {
        guard let file else { return try state.withLock(body) }
        return try state.withLock { inventory in
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            // without the lock (an unwritable folder) the change goes on unlocked, as it did before there was one
            let lock = try? FileLock.exclusive(file.path + ".lock")
            defer { lock.map(FileLock.release) }
            reload(&inventory, from: file)
            let result = try body(&inventory)
            if let data = try? JSONEncoder().encode(inventory) {
                try? data.write(to: file, options: .atomic)
                fileTime.withLock { $0 = Self.modified(file) }
            }
            return result
        }
    }

    /// Reads the file again when another process changed it since this one last did.
    func readChanges() {
        guard let file, fileTime.value != Self.modified(file) else { return }
        state.withLock { reload(&$0, from: file) }
    }

    /// The file's inventory in place of `inventory` when it changed since this provider last
    /// read or wrote it (called under the lock).
    private func reload(_ inventory: inout MemoryInventory, from file: URL) {
        // the version before the read: a write in between makes the next look read again
        let now = Self.modified(file)
        guard now != nil, fileTime.value != now, let saved = Self.load(file) else { return }
        inventory = saved
        fileTime.withLock { $0 = now }
    }

    static func load(_ file: URL) -> MemoryInventory? {
        (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode(MemoryInventory.self, from: $0) }
    }

    static func modified(_ file: URL) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path) else { return nil }
        // inode, size and time together: a freed inode comes back, and the kernel's file times are coarse
        return "\(attributes[.systemFileNumber] ?? 0) \(attributes[.size] ?? 0) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
    }

    func instance(_ id: String, in s: MemoryInventory) throws -> Instance {
        guard let instance = s.instances[id] else { throw CloudError("instance \(id) does not exist") }
        return instance
    }

    func answer(_ instance: Instance, _ command: String) -> CommandResult { responder.value(instance, command) }
}
