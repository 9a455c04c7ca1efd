// Bridged Lua→Swift calls against the same loop calling a pure Lua function, in one VM.
// Goal: a bridged call costs at most 3× a pure Lua call.
import Foundation
import LuaKit

let calls = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2_000_000 : 2_000_000

let vm = try LuaVM()
// The shape of a real primitive: read an argument, return a value.
vm.register("echo") { call in .value(call.arg(1)) }
try vm.runPrelude("local prim = ...; echo = prim.echo", chunkName: "=bench")

let results = try await vm.run(source: """
    local n = ...
    local function pure(x) return x end
    local echo = echo
    local best_pure, best_bridged = math.huge, math.huge
    for round = 1, 3 do
      local t0 = os.clock()
      for i = 1, n do pure(i) end
      best_pure = math.min(best_pure, os.clock() - t0)
      t0 = os.clock()
      for i = 1, n do echo(i) end
      best_bridged = math.min(best_bridged, os.clock() - t0)
    end
    return best_pure, best_bridged
    """, chunkName: "=bridge-bench", args: [.int(Int64(calls))])

let pure = results[0].doubleValue!, bridged = results[1].doubleValue!
func rate(_ seconds: Double) -> String { String(format: "%.1f M calls/s", Double(calls) / seconds / 1e6) }
print("bridge: pure Lua call   \(rate(pure))  (\(String(format: "%.0f", pure / Double(calls) * 1e9)) ns/call)")
print("bridge: Lua→Swift call  \(rate(bridged))  (\(String(format: "%.0f", bridged / Double(calls) * 1e9)) ns/call)")
print(String(format: "bridge: a bridged call costs %.2f× a pure Lua call (goal ≤ 3×)", bridged / pure))

// A tight Lua loop with time slices (the count hook yields every 5 ms and the VM resumes it)
// against the same loop never preempted, alternated so that both see the same machine.
// Goal: slicing costs at most 5%.
let loop = "local s = 0 for i = 1, ... do s = s + i end return s"
let loopVMs = [try LuaVM(options: LuaOptions(timeSlice: nil)), try LuaVM(options: LuaOptions())]
var bestLoop = [Double.infinity, .infinity]
for _ in 1...5 {
    for (index, vm) in loopVMs.enumerated() {
        let start = ContinuousClock.now
        _ = try await vm.run(source: loop, chunkName: "=slice-bench", args: [.int(Int64(calls) * 25)])
        let elapsed = ContinuousClock.now - start
        bestLoop[index] = min(bestLoop[index], Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
let (unsliced, sliced) = (bestLoop[0], bestLoop[1])
print(String(format: "slices: tight loop without time slices %.3f s, with 5 ms slices %.3f s", unsliced, sliced))
print(String(format: "slices: slicing costs %.3f× the unsliced loop (goal ≤ 1.05×)", sliced / unsliced))
