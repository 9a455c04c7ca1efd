import Cloud
import Engine
import Foundation
import LuaKit
import Store

/// The primitives behind Stdlib/prelude.lua. Each checks its arguments synchronously (so a bad
/// argument names the recipe line) and does its I/O in a task while the coroutine waits.
extension RecipeRunner {
    func bindInstances(_ vm: LuaVM) {
        let engine = engine, summary = summary
        registerChanging(vm, "instance_launch") { call in
            let spec = try call.table(1, "instance.launch")
            guard case .string(let cluster) = spec["cluster"] else { throw PrimitiveError("instance.launch: cluster must be a string") }
            try ClusterSpecParser.refuseUnknown(spec, allowed: ["cluster", "layer", "name", "services", "image", "instance_type"],
                                                in: "instance.launch")
            guard case .string(let layer) = spec["layer"] else { throw PrimitiveError("instance.launch: layer = NAME is required") }
            try Self.checkName(cluster, .cluster, "instance.launch: cluster")
            try Self.checkName(layer, .layer, "instance.launch: layer")
            try Self.checkDeclaredLayer(layer, of: cluster, engine.store)
            let name = spec["name"].stringValue
            try Self.checkName(name, .instance, "instance.launch: name")
            var services: [ServiceSpec] = []
            for (serviceName, value) in try ClusterSpecParser.namedTables(spec["services"], "instance.launch: services", kind: .service) {
                guard case .string(let command) = value["command"] else {
                    throw PrimitiveError("instance.launch: service \(serviceName) needs a command")
                }
                services.append(ServiceSpec(name: serviceName, command: command, port: value["port"].intValue.map(Int.init),
                                            env: try LayerField.readEnv(value["env"], "instance.launch: service \(serviceName): env")))
            }
            let declared = services
            let image = spec["image"].stringValue, type = spec["instance_type"].stringValue
            return .async {
                [try await engine.launch(cluster: cluster, layer: layer, name: name, services: declared, image: image, instanceType: type).lua]
            }
        }
        vm.register("instance_list") { call in
            let filter = call.arg(1).tableValue ?? LuaTable()
            let cluster = filter["cluster"].stringValue, layer = filter["layer"].stringValue
            return .async { [.table(LuaTable(array: try await engine.listInstances(cluster: cluster, layer: layer).map(\.lua)))] }
        }
        vm.register("instance_get") { call in
            let id = try call.name(1, "instance.get", .instance)
            let hint = call.arg(2).stringValue
            return .async { [try await engine.instance(id, cluster: hint).lua] }
        }
        registerChanging(vm, "instance_stop") { [unowned self] call in
            let id = try call.name(1, "stop", .instance)
            let resolve = self.hooks(forInstance: id, vm)
            return .async {
                let (hooks, options) = try await resolve()
                let failed = try await engine.stop(instance: id, hooks: hooks, options: options)
                summary.withLock { $0.primitiveFailures += failed }
                return []
            }
        }
        registerChanging(vm, "instance_start") { call in
            let id = try call.name(1, "start", .instance)
            return .async { try await engine.start(instance: id); return [] }
        }
        registerChanging(vm, "instance_terminate") { [unowned self] call in
            let id = try call.name(1, "terminate", .instance)
            let resolve = self.hooks(forInstance: id, vm)
            return .async {
                let (hooks, options) = try await resolve()
                let failed = try await engine.terminate(instance: id, hooks: hooks, options: options)
                summary.withLock { $0.primitiveFailures += failed }
                return []
            }
        }
    }

    func bindStorage(_ vm: LuaVM) {
        let engine = engine
        registerChanging(vm, "instance_image") { call in
            let id = try call.name(1, "image: instance", .instance)
            let cluster = call.arg(2).stringValue
            let name = try call.string(3, "image: name")
            return .async { [.string(try await engine.createImage(of: id, cluster: cluster, name: name))] }
        }
        registerChanging(vm, "volume_create") { call in
            let spec = try call.table(1, "volume.create")
            try ClusterSpecParser.refuseUnknown(spec, allowed: ["cluster", "size_gb", "name", "snapshot"], in: "volume.create")
            guard case .string(let cluster) = spec["cluster"] else { throw PrimitiveError("volume.create: cluster must be a string") }
            let size = try ClusterSpecParser.integer(spec["size_gb"], "volume.create: size_gb", default: 1, range: 1...16_384)
            let name = spec["name"].stringValue ?? ""
            let snapshot = spec["snapshot"].stringValue
            try Self.checkName(cluster, .cluster, "volume.create: cluster")
            try Self.checkVolumeName(name, "volume.create: name")
            try Self.checkName(snapshot, .snapshot, "volume.create: snapshot")
            return .async { [try await engine.createVolume(cluster: cluster, name: name, sizeGB: size, from: snapshot).lua] }
        }
        vm.register("volume_list") { call in
            let cluster = (call.arg(1).tableValue ?? LuaTable())["cluster"].stringValue
            return .async { [.table(LuaTable(array: try await engine.listVolumes(cluster: cluster).map(\.lua)))] }
        }
        registerChanging(vm, "volume_attach") { call in
            let volume = try call.name(1, "attach: volume", .volumeID)
            let instance = try call.name(2, "attach: instance", .instance)
            let mount = try call.string(3, "attach: mount point")
            try ClusterSpecParser.checkMount(mount, "attach")
            let hint = call.arg(4).stringValue
            return .async {
                try await engine.attach(volume: volume, to: try await engine.instanceID(instance, cluster: hint), at: mount)
                return []
            }
        }
        registerChanging(vm, "volume_detach") { call in
            let volume = try call.name(1, "detach", .volumeID)
            return .async { try await engine.detach(volume: volume); return [] }
        }
        registerChanging(vm, "volume_snapshot") { call in
            let volume = try call.name(1, "snapshot", .volumeID)
            let cluster = call.arg(2).stringValue
            return .async { [try await engine.snapshot(volume: volume, cluster: cluster).lua] }
        }
        registerChanging(vm, "volume_delete") { call in
            let volume = try call.name(1, "delete: volume", .volumeID)
            return .async { try await engine.deleteVolume(volume); return [] }
        }
        vm.register("snapshot_list") { call in
            let cluster = (call.arg(1).tableValue ?? LuaTable())["cluster"].stringValue
            return .async { [.table(LuaTable(array: try await engine.listSnapshots(cluster: cluster).map(\.lua)))] }
        }
        registerChanging(vm, "snapshot_delete") { call in
            let snapshot = try call.name(1, "delete: snapshot", .snapshot)
            return .async { try await engine.deleteSnapshot(snapshot); return [] }
        }
        registerChanging(vm, "snapshot_restore") { call in
            let snapshot = try call.name(1, "restore", .snapshot)
            let options = call.arg(2).tableValue ?? LuaTable()
            try Self.checkName(options["cluster"].stringValue, .cluster, "restore: cluster")
            try Self.checkVolumeName(options["name"].stringValue, "restore: name")
            return .async {
                [try await engine.restore(snapshot: snapshot, cluster: options["cluster"].stringValue,
                                          name: options["name"].stringValue).lua]
            }
        }
    }

    func bindAddresses(_ vm: LuaVM) {
        let engine = engine, summary = summary
        registerChanging(vm, "ip_allocate") { call in
            let cluster = try call.name(1, "ip.allocate: cluster", .cluster)
            return .async { [try await engine.allocateAddress(cluster: cluster).lua] }
        }
        registerChanging(vm, "ip_associate") { [unowned self] call in
            let ip = try call.string(1, "associate: address")
            let instance = try call.name(2, "associate: instance", .instance)
            let hint = call.arg(3).stringValue
            let resolve = self.hooks(forInstance: instance, cluster: hint, vm)
            return .async {
                let (hooks, options) = try await resolve()
                let id = try await engine.instanceID(instance, cluster: hint)
                let failed = try await engine.associate(address: ip, with: id, hooks: hooks, options: options)
                summary.withLock { $0.primitiveFailures += failed }
                return []
            }
        }
        vm.register("ip_list") { call in
            guard let cluster = try call.table(1, "ip.list")["cluster"].stringValue else {
                throw PrimitiveError("ip.list: cluster = NAME is required")
            }
            return .async { [.table(LuaTable(array: try await engine.listAddresses(cluster: cluster).map(\.lua)))] }
        }
        registerChanging(vm, "ip_release") { call in
            let ip = try call.string(1, "release")
            return .async { try await engine.releaseAddress(ip); return [] }
        }
    }

    func bindCommands(_ vm: LuaVM) {
        let engine = engine, output = output
        vm.register("shell_quote") { call in .value(.string(Shell.quote(try call.string(1, "shell.quote")))) }
        registerChanging(vm, "run") { call in
            let instance = try call.name(1, "run: instance", .instance)
            let command = try call.string(2, "run: command")
            let options = call.arg(3).tableValue ?? LuaTable()
            let timeout = options["timeout"].doubleValue ?? 300
            let bookkeeping = options["internal"].boolValue ?? false
            let hint = call.arg(4).stringValue
            // a hook's commands, the tool's own among them, are part of its log
            let output = (call.context as? HookContext)?.output
            return .async {
                let id = try await engine.instanceID(instance, cluster: hint)
                do {
                    let result = try await engine.run(on: id, command: command, timeout: timeout, bookkeeping: bookkeeping)
                    output?.add(command: command, result)
                    return [result.lua]
                } catch {
                    output?.add("$ \(command)\nfailed: \(error)")
                    throw error
                }
            }
        }
        registerChanging(vm, "deploy") { [unowned self] call in
            let spec = try call.table(1, "deploy")
            guard case .string(let cluster) = spec["cluster"], case .string(let app) = spec["app"] else {
                throw PrimitiveError("deploy{ cluster = NAME, app = NAME [, ref = REF, batch = N or \"25%\"] }")
            }
            try Self.checkName(cluster, .cluster, "deploy: cluster")
            try Self.checkName(app, .app, "deploy: app")
            let ref = spec["ref"].stringValue
            let batch = spec["batch"].stringValue ?? spec["batch"].intValue.map { String($0) } ?? "1"
            // this run's hooks when it declared the cluster, else those of the recipe that did
            let declared = declarations[cluster].map { recipeHooks($0, vm.callbacks) }
            let options = self.options, output = self.output
            return .async {
                let deploy: @Sendable ((any LifecycleHooks)?) async throws -> DeployReport = { hooks in
                    try await engine.deploy(cluster: cluster, app: app, ref: ref, batch: batch, hooks: hooks, options: options.apply)
                }
                let report = if let declared {
                    try await deploy(declared)
                } else {
                    try await RecordedRecipe.withHooks(engine: engine, cluster: cluster, options: options, warn: output, deploy)
                }
                return [.table(LuaTable(fields: [
                    "release": .string(report.release), "sha": .string(report.sha),
                    "instances": .table(LuaTable(array: report.instances.map(LuaValue.string))),
                ]))]
            }
        }
        registerChanging(vm, "write") { call in
            let instance = try call.name(1, "write: instance", .instance)
            let path = try call.string(2, "write: path")
            let contents = try call.string(3, "write: contents")
            guard MountPoint.parts(path) != nil else {
                throw PrimitiveError("write: '\(path)' must be an absolute path inside the instance, without '..'")
            }
            let hint = call.arg(4).stringValue
            return .async {
                try await engine.writeFile(on: try await engine.instanceID(instance, cluster: hint), path: path, contents: contents)
                return []
            }
        }
        vm.register("log") { call in
            let level = try call.string(1, "log")
            let line = "[\(level)] \(call.arg(2).description)"
            // under serve a line is a hook.log event, caused by the run that logged it: a hook on
            // hook.log that logs is cut at the same depth as one that emits
            let context = call.context as? HookContext
            context?.output?.add(line)
            EventCause.$current.withValue(context?.cause) { output(line) }
            return .values([])
        }
    }
}

extension RecipeRunner {
    /// A layer a declared cluster does not declare is a typo: refused, naming the ones it has.
    static func checkDeclaredLayer(_ layer: String, of cluster: String, _ store: Store) throws {
        guard try store.cluster(cluster) != nil else { return }  // not declared by any recipe: nothing to check against
        let layers = try store.layers(cluster: cluster).map(\.name)
        guard !layers.contains(layer) else { return }
        throw PrimitiveError("instance.launch: cluster \(cluster) has no layer '\(layer)' (layers: \(layers.isEmpty ? "none" : layers.joined(separator: ", ")))")
    }

    /// What a recipe refused by `recipe serve` for an imperative primitive can do instead.
    static let howToServe = """
        `recipe serve` loads the whole file again, so to serve it, guard the imperative part to run once \
        (`if not cluster.exists("NAME") then ... end`, or `if #instance.list{ cluster = "NAME" } == 0 then ... end`), \
        move it into a hook, or declare the cluster with cluster{}
        """

    /// A primitive that changes state: refused when the recipe only plans.
    func registerChanging(_ vm: LuaVM, _ name: String, _ fn: @escaping LuaPrimitive) {
        let planning = options.mode == .plan
        vm.register(name) { [unowned self] call in
            if planning {
                throw PrimitiveError("\(name.replacingOccurrences(of: "_", with: ".")) changes state: not run by plan or --dry-run")
            }
            if loading {
                throw PrimitiveError("\(name.replacingOccurrences(of: "_", with: ".")) changes state: not run while the recipe is loaded for its hooks. \(Self.howToServe)")
            }
            // what it starts outside (commands on agents) knows the budget it is stopped for
            let result = try fn(call)
            guard case .async(let operation) = result else { return result }
            let deadline = call.timeLeft.map { Date().addingTimeInterval($0) }
            // and what it records names the hook run it is done for
            let cause = (call.context as? HookContext)?.cause
            return .async {
                try await TimeBudget.$deadline.withValue(deadline) { try await EventCause.$current.withValue(cause) { try await operation() } }
            }
        }
    }
}
