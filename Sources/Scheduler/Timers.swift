import Engine
import Foundation
import RecipeRuntime
import Store

/// every() and at() timers: a heap by due time, one sleep until the earliest. Each firing is a
/// hook run written together with the timer's last firing, so a timer missed while the
/// scheduler was down fires once at start, not once per missed period.
actor Timers {
    struct Entry {
        let key: String
        let schedule: TimerHook.Schedule
        let cluster: String?
        let generation: Int
        var due: Date
    }

    let store: Store
    let executor: Executor
    private var heap = Heap<Entry> { $0.due < $1.due }
    /// The live generation of each timer: a reloaded recipe's old entries are dropped when they come up.
    private var active: [String: Int] = [:]
    private var generation = 0
    private var wake: Task<Void, Never>?

    init(store: Store, executor: Executor) {
        self.store = store
        self.executor = executor
    }

    static func stateKey(_ key: String) -> String { "timer.last:" + key }

    /// A fraction in (0, 1], the same for a key on every start (FNV-1a).
    static func splay(_ key: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Double(hash % 1000 + 1) / 1000
    }

    /// Schedules a recipe's timers (replacing those it had): next due from the last firing on record.
    func load(_ timers: [TimerHook], cluster: String?, replacing old: Set<String>) throws {
        for key in old { active[key] = nil }
        generation += 1
        let now = Date()
        let last = try store.schedulerState(prefix: "timer.last:")
        for timer in timers {
            let fired = last[Self.stateKey(timer.key)].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
            let due: Date
            switch timer.schedule {
            case .every(let interval):
                // a new timer starts at a point of its period set by its key (a splay), so that many
                // timers registered at once do not all come due at the same instant
                due = fired.map { max(now, $0.addingTimeInterval(interval)) } ?? now.addingTimeInterval(interval * Self.splay(timer.key))
            case .cron(let cron):
                guard let next = cron.next(after: fired ?? now) else { continue }
                due = max(now, next)
            }
            active[timer.key] = generation
            heap.push(Entry(key: timer.key, schedule: timer.schedule, cluster: cluster, generation: generation, due: due))
        }
        rearm()
    }

    private func rearm() {
        wake?.cancel()
        guard let first = heap.peek else { return }
        let delay = max(0, first.due.timeIntervalSinceNow)
        wake = Task {
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            guard !Task.isCancelled else { return }
            await self.fire()
        }
    }

    /// Every timer that is due: its runs and last firings in one transaction, then the next due.
    private func fire() async {
        let now = Date()
        var due: [Entry] = []
        while let first = heap.peek, first.due <= now {
            let entry = heap.pop()!
            if active[entry.key] == entry.generation { due.append(entry) }
        }
        let runs = due.map { HookRun(hook: $0.key, cluster: $0.cluster, eventID: nil, trigger: "timer", dueAt: $0.due) }
        let state = Dictionary(due.map { (Self.stateKey($0.key), String($0.due.timeIntervalSince1970)) }, uniquingKeysWith: { $1 })
        if let inserted = try? store.schedule(runs, state: state) { await executor.submit(inserted) }
        for var entry in due {
            switch entry.schedule {
            case .every(let interval):
                // on time from the last due time; a late wake skips what it missed instead of bursting
                entry.due = entry.due.addingTimeInterval(interval)
                if entry.due <= now { entry.due = now.addingTimeInterval(interval) }
            case .cron(let cron):
                guard let next = cron.next(after: now) else { continue }
                entry.due = next
            }
            heap.push(entry)
        }
        rearm()
    }
}

/// A binary min-heap under `less`.
struct Heap<Element> {
    private var items: [Element] = []
    let less: (Element, Element) -> Bool

    init(_ less: @escaping (Element, Element) -> Bool) { self.less = less }

    var peek: Element? { items.first }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, less(items[left], items[smallest]) { smallest = left }
            if right < items.count, less(items[right], items[smallest]) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
