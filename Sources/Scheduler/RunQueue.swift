import Store

/// A first-in-first-out queue of runs that pops in constant time.
struct RunQueue {
    private var items: [Queued] = []
    private var head = 0

    var first: Queued? { head < items.count ? items[head] : nil }

    var count: Int { items.count - head }

    mutating func push(_ run: Queued) { items.append(run) }

    /// Where the runs not written yet begin: they are the last pushed, by the dispatch being written.
    private var unsavedStart: Int {
        var start = items.count
        while start > head, items[start - 1].run.id == nil { start -= 1 }
        return start
    }

    var hasUnsaved: Bool { items.count > head && items[items.count - 1].run.id == nil }

    var unsaved: ArraySlice<Queued> { items[unsavedStart...] }

    /// Gives the unsaved runs their ids, in order; one that existed already (nil) is dropped.
    mutating func save(_ ids: ArraySlice<Int64?>) {
        let start = unsavedStart
        var kept: [Queued] = []
        for (queued, id) in zip(items[start...], ids) {
            guard let id else { continue }
            var saved = queued
            saved.run.id = id
            kept.append(saved)
        }
        items.replaceSubrange(start..., with: kept)
    }

    mutating func dropUnsaved() { items.removeSubrange(unsavedStart...) }

    mutating func pop() -> Queued? {
        guard head < items.count else { return nil }
        defer {
            head += 1
            if head > 1024 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
        }
        return items[head]
    }
}
