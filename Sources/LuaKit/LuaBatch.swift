import CLua
import CLuaShim

/// The coroutines one `LuaCallbacks.start` began: what ended since the last delivery, how many
/// still run, and the timers that wake them at their budgets (cancelled once all have ended, so
/// that a batch of short hooks leaves no sleeping task behind).
final class LuaBatch {
    let ended: LuaBatchEnded
    var outcomes: [LuaBatchOutcome] = []
    var remaining: Int
    var deadlines: [Task<Void, Never>] = []

    init(count: Int, ended: @escaping LuaBatchEnded) {
        remaining = count
        self.ended = ended
    }

    func end(_ index: Int, _ result: Result<[LuaValue], LuaError>) {
        outcomes.append((index, result))
        remaining -= 1
        if remaining == 0 { deadlines.forEach { $0.cancel() } }
    }
}

extension LuaVM {
    /// Makes a coroutine of each invocation, ready to run in this turn of the loop.
    func startBatch(_ invocations: [LuaInvocation], ended: @escaping LuaBatchEnded) {
        let batch = LuaBatch(count: invocations.count, ended: ended)
        scheduler.batches.append(batch)
        var byLimit: [Double: [Int]] = [:]
        let now = cr_monotonic_now()
        for (index, invocation) in invocations.enumerated() {
            let coroutine = newCoroutine(parent: nil)
            cr_getref(coroutine.thread, invocation.function.ref)
            coroutine.onFinish = { batch.end(index, $0) }
            coroutine.context = invocation.context
            if let limit = invocation.timeLimit {
                coroutine.deadline = now + limit
                byLimit[limit, default: []].append(coroutine.id)
            }
            let args = invocation.args
            scheduler.ready.append((coroutine.id, { [unowned self] thread in
                args.forEach { self.push($0, on: thread) }
                return Int32(args.count)
            }))
        }
        // one timer per budget in the batch wakes those still parked in I/O when it runs out
        let sink = completionSink
        for (limit, ids) in byLimit {
            batch.deadlines.append(Task {
                do {
                    try await Task.sleep(nanoseconds: UInt64(limit * 1e9))
                } catch {
                    return  // every coroutine of the batch ended first
                }
                for id in ids { sink.yield(.coroutineDeadline(coroutine: id)) }
            })
        }
    }

    /// Hands each batch the outcomes gathered since the last delivery; forgets finished batches.
    func deliverBatches() {
        guard !scheduler.batches.isEmpty else { return }
        for batch in scheduler.batches where !batch.outcomes.isEmpty {
            let outcomes = batch.outcomes
            batch.outcomes = []
            batch.ended(outcomes)
        }
        scheduler.batches.removeAll { $0.remaining == 0 }
    }
}
