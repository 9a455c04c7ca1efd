import CLua
import CLuaShim
import Foundation

extension LuaVM {
    /// Runs the function in registry slot `function` as a root coroutine until it ends,
    /// driving every coroutine and task it starts meanwhile.
    func call(function: Int32, args: [LuaValue]) async throws -> [LuaValue] {
        let root = newCoroutine(parent: nil)
        cr_getref(root.thread, function)
        scheduler.ready.append((root.id, { [unowned self] thread in
            for arg in args { self.push(arg, on: thread) }
            return Int32(args.count)
        }))
        scheduler.run += 1
        var deadlineTask: Task<Void, Never>?
        if let limit = timeLimit {
            cr_set_deadline(L, cr_monotonic_now() + limit)
            let sink = completionSink
            let run = scheduler.run
            deadlineTask = Task {
                do {
                    try await Task.sleep(nanoseconds: UInt64(limit * 1e9))
                } catch {
                    return  // the run ended first
                }
                sink.yield(.deadline(run: run))
            }
        }
        defer {
            deadlineTask?.cancel()
            // callers waiting on a callback this run will never finish hear so, instead of waiting forever
            for coroutine in scheduler.coroutines.values where coroutine.id != root.id {
                guard let onFinish = coroutine.onFinish else { continue }
                coroutine.onFinish = nil
                scheduler.preempted.remove(coroutine.id)  // never resumed by a later run
                onFinish(.failure(LuaError(kind: .runtime, message: "the recipe's VM ended before this hook finished")))
            }
            deliverBatches()
            release(root)
            // The budget belongs to this run: later preludes and runs start unlimited and unkilled.
            cr_set_deadline(L, 0)
        }
        var iterator = completions.makeAsyncIterator()
        while root.outcome == nil {
            while !scheduler.ready.isEmpty {
                let (id, push) = scheduler.ready.removeFirst()
                if let coroutine = scheduler.coroutines[id] { resume(coroutine, push: push) }
            }
            deliverBatches()
            if root.outcome != nil { break }
            guard let completion = await iterator.next() else { break }
            // A busy coroutine keeps the stream full: let the tasks that feed it run.
            if case .preempted = completion { await Task.yield() }
            handle(completion)
        }
        await windDown(&iterator)
        switch root.outcome {
        case .finished(let count):
            return (0..<count).map { value(at: -count + $0, in: root.thread) }
        case .failed(let error):
            throw error
        case nil:
            throw LuaError(kind: .runtime, message: "the run ended before its coroutine finished")
        }
    }

    /// Waits, at most `grace` seconds, for the tasks this run cancelled to end, so that what they
    /// started outside (a command on an agent) is stopped and recorded before the caller goes on.
    private func windDown(_ iterator: inout AsyncStream<Completion>.Iterator, grace: Double = 5) async {
        guard !scheduler.stopping.isEmpty else { return }
        let sink = completionSink, run = scheduler.run
        let timer = Task {
            try? await Task.sleep(nanoseconds: UInt64(grace * 1e9))
            sink.yield(.windDownOver(run: run))
        }
        defer { timer.cancel() }
        while !scheduler.stopping.isEmpty, let completion = await iterator.next() {
            switch completion {
            case .finished(let id, _):
                scheduler.stopping.remove(id)
            case .windDownOver(let over) where over == run:
                return
            case .invoke(_, _, _, _, let continuation):
                continuation.resume(throwing: LuaError(kind: .runtime, message: "the recipe's VM is ending"))
            case .invokeAll(let invocations, let ended):
                ended(invocations.indices.map { ($0, .failure(LuaError(kind: .runtime, message: "the recipe's VM is ending"))) })
            default:
                continue  // the run is over: nothing in it resumes
            }
        }
    }

    func newCoroutine(parent: Int?) -> Coroutine {
        let thread = lua_newthread(L)!
        let ref = cr_ref(L)
        let coroutine = Coroutine(id: scheduler.nextID, thread: thread, ref: ref, parent: parent)
        if let parent, let parentCoroutine = scheduler.coroutines[parent] {
            coroutine.deadline = parentCoroutine.deadline
            coroutine.context = parentCoroutine.context
        }
        scheduler.nextID += 1
        scheduler.coroutines[coroutine.id] = coroutine
        scheduler.byThread[thread] = coroutine.id
        return coroutine
    }

    func release(_ coroutine: Coroutine) {
        for child in coroutine.children {
            if let c = scheduler.coroutines[child] { release(c) }
        }
        scheduler.coroutines[coroutine.id] = nil
        scheduler.byThread[coroutine.thread] = nil
        scheduler.waiting.remove(coroutine.id)
        scheduler.preempted.remove(coroutine.id)
        scheduler.cancelTask(of: coroutine.id)
        cr_unref(L, coroutine.ref)
    }

    private func resume(_ coroutine: Coroutine, push: Scheduler.Push) {
        let count = push(coroutine.thread)
        var results: Int32 = 0
        cr_set_slice_deadline(L, coroutine.deadline ?? 0)
        let status = cr_resume(coroutine.thread, count, &results)
        cr_set_slice_deadline(L, 0)
        switch status {
        case LUA_YIELD:
            return  // suspended in a primitive, which arranged its resumption
        case CR_PREEMPTED:
            scheduler.preempted.insert(coroutine.id)
            completionSink.yield(.preempted(coroutine: coroutine.id))
        case LUA_OK:
            finish(coroutine, .finished(results: results))
        case CR_STOPPED:
            // The budget hook yielded it for good: it is never resumed, so nothing in it runs again.
            let message = String(cString: cr_stop_where(L)) + "time limit exceeded"
            let traceback = traceback(of: coroutine.thread, message)
            finish(coroutine, .failed(LuaError(kind: .timeLimit, message: message, traceback: traceback)))
        default:
            finish(coroutine, .failed(error(in: coroutine, status: status)))
        }
    }

    private func finish(_ coroutine: Coroutine, _ outcome: Coroutine.Outcome) {
        coroutine.outcome = outcome
        if let onFinish = coroutine.onFinish {
            switch outcome {
            case .finished(let count):
                onFinish(.success((0..<count).map { value(at: -count + $0, in: coroutine.thread) }))
            case .failed(let error):
                onFinish(.failure(error))
            }
            release(coroutine)
            return
        }
        guard let parentID = coroutine.parent, let parent = scheduler.coroutines[parentID] else { return }
        parent.pendingChildren -= 1
        if parent.pendingChildren == 0 { resumeAfterParallel(parent) }
    }

    /// Resumes a `parallel` caller with each branch's first result, in order, or the first error.
    private func resumeAfterParallel(_ parent: Coroutine) {
        let children = parent.children.compactMap { scheduler.coroutines[$0] }
        parent.children = []
        scheduler.ready.append((parent.id, { [unowned self] thread in
            defer { children.forEach(self.release) }
            for child in children {
                if case .failed(let error) = child.outcome {
                    parent.propagated = error
                    return self.pushFailure(TaskFailure(message: error.message, located: true), on: thread)
                }
            }
            lua_pushboolean(thread, 1)
            for child in children {
                _ = lua_checkstack(thread, 2)
                if case .finished(let count) = child.outcome, count > 0 {
                    lua_pushvalue(child.thread, -count)
                    lua_xmove(child.thread, thread, 1)
                } else {
                    lua_pushnil(thread)
                }
            }
            return Int32(children.count + 1)
        }))
    }

    private func handle(_ completion: Completion) {
        switch completion {
        case .invoke(let function, let args, let limit, let context, let continuation):
            let coroutine = newCoroutine(parent: nil)
            coroutine.context = context
            cr_getref(coroutine.thread, function.ref)
            coroutine.onFinish = { continuation.resume(with: $0.mapError { $0 as any Error }) }
            if let limit {
                coroutine.deadline = cr_monotonic_now() + limit
                let sink = completionSink, id = coroutine.id
                Task {
                    try? await Task.sleep(nanoseconds: UInt64(limit * 1e9))
                    sink.yield(.coroutineDeadline(coroutine: id))
                }
            }
            scheduler.ready.append((coroutine.id, { [unowned self] thread in
                args.forEach { self.push($0, on: thread) }
                return Int32(args.count)
            }))
        case .invokeAll(let invocations, let ended):
            startBatch(invocations, ended: ended)
        case .coroutineDeadline(let id):
            // Parked in I/O past its own budget: wake it with the stop (the count hook catches CPU).
            guard scheduler.waiting.remove(id) != nil else { return }
            scheduler.cancelTask(of: id)
            scheduler.ready.append((id, { [unowned self] thread in
                self.pushFailure(TaskFailure(message: "time limit exceeded", located: false), on: thread)
            }))
        case .finished(let id, let result):
            scheduler.tasks[id] = nil
            scheduler.stopping.remove(id)
            guard scheduler.waiting.remove(id) != nil else { return }
            scheduler.ready.append((id, { [unowned self] thread in
                switch result {
                case .success(let values):
                    lua_pushboolean(thread, 1)
                    values.forEach { self.push($0, on: thread) }
                    return Int32(values.count + 1)
                case .failure(let failure):
                    return self.pushFailure(failure, on: thread)
                }
            }))
        case .windDownOver:
            return
        case .preempted(let id):
            guard scheduler.preempted.remove(id) != nil else { return }  // released meanwhile
            scheduler.ready.append((id, { _ in 0 }))
        case .deadline(let run):
            guard run == scheduler.run else { return }  // a deadline left over from an earlier run
            // Coroutines parked in I/O wake with the stop; the count hook stops any that catch it,
            // and no primitive starts again.
            cr_kill(L)
            scheduler.tasks.keys.sorted().forEach { scheduler.cancelTask(of: $0) }
            for id in scheduler.waiting.sorted() {
                scheduler.ready.append((id, { [unowned self] thread in
                    self.pushFailure(TaskFailure(message: "time limit exceeded", located: false), on: thread)
                }))
            }
            scheduler.waiting.removeAll()
        }
    }

    private func pushFailure(_ failure: TaskFailure, on thread: OpaquePointer) -> Int32 {
        lua_pushboolean(thread, 0)
        push(.string(failure.message), on: thread)
        lua_pushboolean(thread, failure.located ? 1 : 0)
        return 3
    }

    /// The error a dead coroutine left, classified and with its traceback.
    private func error(in coroutine: Coroutine, status: Int32) -> LuaError {
        let thread = coroutine.thread
        let raw = lua_type(thread, -1) == LUA_TSTRING
            ? string(at: -1, in: thread)
            : "(error object is a \(String(cString: lua_typename(thread, lua_type(thread, -1)))) value)"
        if let propagated = coroutine.propagated, propagated.message == raw {
            // A failed `parallel` branch's error, passed on unchanged: keep its kind and traceback.
            return propagated
        }
        var kind = LuaError.Kind.runtime
        var message = raw
        // LUA_ERRMEM when the allocator refused; "not enough memory" raised by a trampoline after
        // a primitive overshot the cap. cr_resume clears the flag, so it names this resume only.
        if status == LUA_ERRMEM || (cr_memory_exhausted(L) != 0 && raw.hasSuffix("not enough memory")) {
            kind = .memory
            cr_push_where(thread)
            let limit = cr_memory_limit(L) >> 20
            message = string(at: -1, in: thread) + "memory limit of \(limit) MiB exceeded"
            cr_pop(thread, 1)
        } else if cr_killed(L) != 0 {
            kind = .timeLimit
            if !raw.hasSuffix("time limit exceeded") { message = raw + " (time limit exceeded)" }
        }
        return LuaError(kind: kind, message: message, traceback: traceback(of: thread, message))
    }

    private func traceback(of thread: OpaquePointer, _ message: String) -> String {
        cr_traceback(L, thread, message)
        let traceback = string(at: -1, in: L)
        cr_pop(L, 1)
        return traceback
    }

    /// Entry from the C trampoline: run primitive `id` for the coroutine `state`.
    func dispatch(_ state: OpaquePointer, _ id: Int64) -> Int32 {
        guard id >= 0, Int(id) < primitives.count else {
            push(.string("unknown primitive"), on: state)
            return CR_RAISE_LOCATED
        }
        do {
            switch try primitives[Int(id)](LuaCall(vm: self, state: state)) {
            case .value(let value):
                push(value, on: state)
                return 1
            case .values(let values):
                values.forEach { push($0, on: state) }
                return Int32(values.count)
            case .pushed(let count):
                return count
            case .suspend:
                return CR_YIELD
            case .async(let operation):
                guard let coroutine = scheduler.byThread[state] else {
                    push(.string("this primitive can only run inside a recipe or hook"), on: state)
                    return CR_RAISE_LOCATED
                }
                scheduler.waiting.insert(coroutine)
                let sink = completionSink
                scheduler.tasks[coroutine] = Task {
                    let result: Result<[LuaValue], TaskFailure>
                    do {
                        result = .success(try await operation())
                    } catch let error as LuaError {
                        result = .failure(TaskFailure(message: error.message, located: true))
                    } catch {
                        result = .failure(TaskFailure(message: "\(error)", located: false))
                    }
                    sink.yield(.finished(coroutine: coroutine, result))
                }
                return CR_YIELD
            }
        } catch let error as LuaError {
            push(.string(error.message), on: state)
            return CR_RAISE_RAW
        } catch {
            push(.string("\(error)"), on: state)
            return CR_RAISE_LOCATED
        }
    }

    /// `parallel{f1, f2, ...}`: each function runs as its own coroutine; the caller resumes
    /// with their first results in order once all have ended, or with the first error.
    func parallel(_ call: LuaCall) throws -> LuaReturn {
        let state = call.state
        guard lua_type(state, 1) == LUA_TTABLE else {
            throw PrimitiveError("parallel: expected a table of functions, got \(call.arg(1).typeName)")
        }
        guard let parentID = scheduler.byThread[state], let parent = scheduler.coroutines[parentID] else {
            throw PrimitiveError("parallel: can only run inside a recipe or hook")
        }
        let count = Int64(lua_rawlen(state, 1))
        guard count > 0 else { return .values([]) }
        for index in 1...count {
            let type = lua_rawgeti(state, 1, index)
            cr_pop(state, 1)
            if type != LUA_TFUNCTION {
                throw PrimitiveError("parallel: entry \(index) is a \(String(cString: lua_typename(state, type))), not a function")
            }
        }
        for index in 1...count {
            let child = newCoroutine(parent: parent.id)
            lua_rawgeti(state, 1, index)
            lua_xmove(state, child.thread, 1)
            parent.children.append(child.id)
            scheduler.ready.append((child.id, { _ in 0 }))
        }
        parent.pendingChildren = Int(count)
        return .suspend
    }

    /// `require`'s loader: finds the module under the search roots and pushes its chunk.
    func loadModule(_ call: LuaCall) throws -> LuaReturn {
        try pushModule(try call.string(1, "require"), roots: options.moduleRoots, on: call)
    }

    /// `prim.require_library`'s loader: the library folder alone.
    func loadLibrary(_ call: LuaCall) throws -> LuaReturn {
        let name = try call.string(1, "require")
        guard let library = options.libraryRoot else { throw PrimitiveError("require '\(name)': this VM has no library folder") }
        return try pushModule(name, roots: [library], on: call)
    }

    /// Finds module `name` under `roots` and pushes its chunk: the loader of a primitive that
    /// searches roots of its own (another recipe's folder).
    public func pushModule(_ name: String, roots: [URL], on call: LuaCall) throws -> LuaReturn {
        let hidden = options.internalModules.map { [$0.folder] } ?? []
        let module = try ModuleSearcher(roots: roots, hidden: hidden).find(name)
        let source: String
        do {
            source = try String(contentsOf: module.url, encoding: .utf8)
        } catch {
            throw PrimitiveError("require '\(name)': cannot read \(module.displayPath)")
        }
        try loadText(source, chunkName: "@" + module.displayPath, on: call.state)
        return .pushed(1)
    }

    /// `prim.load_internal(name)`: pushes the chunk of one of the prelude's own modules, named as
    /// an internal chunk.
    func loadInternal(_ call: LuaCall) throws -> LuaReturn {
        let name = try call.string(1, "load_internal")
        guard let modules = options.internalModules else { throw PrimitiveError("load_internal: this VM has no internal modules") }
        let module = try ModuleSearcher(roots: [modules.folder]).find(name)
        let source: String
        do {
            source = try String(contentsOf: module.url, encoding: .utf8)
        } catch {
            throw PrimitiveError("load_internal '\(name)': cannot read \(module.displayPath)")
        }
        let relative = module.url.standardizedFileURL.path.dropFirst(modules.folder.standardizedFileURL.path.count + 1)
        try loadText(source, chunkName: "=\(modules.chunkPrefix)/\(relative)", on: call.state)
        return .pushed(1)
    }
}
