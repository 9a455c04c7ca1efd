--- The autoscale cookbook's test: settings are checked where they are written, and a layer
--- that autoscales declares and converges.
local autoscale = require "autoscale"

cluster "autoscale-test" {
  provider = { kind = arg.provider },
  layers = { web = { count = 2, autoscale = { metric = "cpu", up = { above = 70, add = 2 }, down = { below = 10 }, min = 1, max = 6 } } },
}
assert(#cluster.get("autoscale-test"):layer("web"):instances() == 2, "the layer converged")

local ok, problem = pcall(autoscale.watch, "autoscale-test", "web", { up = { above = 70 } })
assert(not ok and tostring(problem):find("metric", 1, true), "a metric is required: " .. tostring(problem))
ok, problem = pcall(autoscale.watch, "autoscale-test", "web", { metric = "cpu", min = 5, max = 2 })
assert(not ok and tostring(problem):find("min", 1, true), "min above max is refused: " .. tostring(problem))
