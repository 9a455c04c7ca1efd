import CLua

/// A coroutine the VM drives: a recipe run, a hook run, or one branch of `parallel`.
final class Coroutine {
    enum Outcome {
        case finished(results: Int32)
        case failed(LuaError)
    }

    let id: Int
    let thread: OpaquePointer
    /// Registry reference that keeps the thread alive while we drive it.
    let ref: Int32
    let parent: Int?
    var children: [Int] = []
    var pendingChildren = 0
    var outcome: Outcome?
    /// This coroutine's own budget (monotonic seconds), inherited by its `parallel` branches.
    var deadline: Double?
    /// What Swift started it with for its primitives to read (`LuaCall.context`; a hook run's
    /// cause), inherited by its `parallel` branches.
    var context: (any Sendable)?
    /// Called when a root coroutine started from Swift (`LuaCallbacks.call`) ends.
    var onFinish: ((Result<[LuaValue], LuaError>) -> Void)?
    /// The failed branch whose error this coroutine was resumed with by `parallel`, so that the
    /// error keeps its kind (memory, time limit) and traceback if it ends this coroutine too.
    var propagated: LuaError?

    init(id: Int, thread: OpaquePointer, ref: Int32, parent: Int?) {
        self.id = id
        self.thread = thread
        self.ref = ref
        self.parent = parent
    }
}

/// The end of a primitive's Swift task, or the deadline of run number `run`, sent back to the VM.
enum Completion: Sendable {
    case finished(coroutine: Int, Result<[LuaValue], TaskFailure>)
    case deadline(run: Int)
    /// Swift asks the VM to run a Lua function as a new coroutine and hand back its results.
    case invoke(LuaFunction, [LuaValue], timeLimit: Double?, context: (any Sendable)?, CheckedContinuation<[LuaValue], any Error>)
    /// Swift asks the VM to run several functions, each as a coroutine of its own (`LuaCallbacks.start`).
    case invokeAll([LuaInvocation], LuaBatchEnded)
    /// A coroutine's own budget ran out while it waited.
    case coroutineDeadline(coroutine: Int)
    /// A coroutine spent its time slice: sent through the stream so that it resumes after
    /// whatever arrived before it (other hooks, finished primitives).
    case preempted(coroutine: Int)
    /// The run's wait for its cancelled tasks is over.
    case windDownOver(run: Int)
}

/// Why a primitive's task failed; `located` messages already name their file:line.
struct TaskFailure: Error, Sendable {
    let message: String
    let located: Bool
}

/// Bookkeeping of the coroutines of one VM.
struct Scheduler {
    typealias Push = (OpaquePointer) -> Int32

    var coroutines: [Int: Coroutine] = [:]
    var byThread: [OpaquePointer: Int] = [:]
    /// Coroutines ready to resume, each with what to push as the resume values.
    var ready: [(id: Int, push: Push)] = []
    /// Coroutines suspended in a primitive's task.
    var waiting: Set<Int> = []
    /// Coroutines that spent their time slice, to resume when their `.preempted` arrives.
    var preempted: Set<Int> = []
    /// The Swift task each waiting coroutine is suspended in, cancelled when it is no longer awaited.
    var tasks: [Int: Task<Void, Never>] = [:]
    /// Coroutines whose task was cancelled and has not ended yet: the run waits for them (a
    /// command they started on an agent is being stopped).
    var stopping: Set<Int> = []
    /// Batches started from Swift with coroutines still running or outcomes not yet delivered.
    var batches: [LuaBatch] = []
    var nextID = 1
    /// Number of the current (or last) run; a deadline of an earlier run is stale.
    var run = 0

    /// Cancels the task `coroutine` waits in, if any, and remembers it until it ends.
    mutating func cancelTask(of coroutine: Int) {
        guard let task = tasks.removeValue(forKey: coroutine) else { return }
        task.cancel()
        stopping.insert(coroutine)
    }
}
