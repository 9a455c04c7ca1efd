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

    init(id: Int, thread: OpaquePointer, ref: Int32, parent: Int?) {
        self.id = id
        self.thread = thread
        self.ref = ref
        self.parent = parent
    }
}

/// The end of a primitive's Swift task, or the run's deadline, sent back to the VM.
enum Completion: Sendable {
    case finished(coroutine: Int, Result<[LuaValue], TaskFailure>)
    case deadline
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
    var nextID = 1
}
