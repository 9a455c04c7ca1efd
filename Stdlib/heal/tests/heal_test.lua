--- The heal cookbook's test: a layer that heals declares and converges, and heal.watch takes it.
local heal = require "heal"

cluster "heal-test" {
  provider = { kind = arg.provider },
  layers = { web = { count = 2, heal = { after = "5s" } } },
}

assert(type(heal.watch) == "function", "heal.watch is the cookbook's entry")
heal.watch("heal-test", "web")   -- under `recipe run` it registers for `recipe serve`; twice is harmless
heal.watch("heal-test", "web")
local web = cluster.get("heal-test"):layer("web"):instances()
assert(#web == 2, "the layer converged to its two instances, not " .. #web)
