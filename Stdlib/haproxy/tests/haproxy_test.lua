--- The haproxy cookbook's test: `recipe cookbook test Stdlib/haproxy` runs it on the memory
--- provider (no machine is touched), `--provider local` on real agents and a real HAProxy.
local haproxy = require "haproxy"

-- The service runs HAProxy in master-worker mode on the configuration its hooks write.
local service = haproxy.service { listen = 8080, health = "/" }
assert(service.command:find("haproxy", 1, true), "the service starts haproxy: " .. tostring(service.command))

-- A missing option is refused at the caller's line, naming what is wanted.
local ok, problem = pcall(haproxy.hooks, { backend = "web" })
assert(not ok and tostring(problem):find("listen", 1, true), "hooks without listen are refused: " .. tostring(problem))
ok, problem = pcall(haproxy.hooks, { listen = 8080, backend = "web", colour = "blue" })
assert(not ok and tostring(problem):find("colour", 1, true), "an unknown option is named: " .. tostring(problem))

-- The hooks a balancer layer takes, each a function.
local hooks = haproxy.hooks { listen = 8080, backend = "web", port = 8000, health = "/" }
for _, name in ipairs { "configure", "drain", "ready" } do
  assert(type(hooks[name]) == "function", "haproxy.hooks has a " .. name .. " hook")
end

-- A balancer over two web servers converges: configure renders the configuration on lb-1 and
-- HAProxy answers through it (a failing hook, or a service that never serves, fails the test).
cluster "haproxy-test" {
  provider = { kind = arg.provider },
  layers = {
    web = { count = 2, services = { site = { command = "exec python3 -m http.server 8000 --bind $ADDRESS", port = 8000, health = "/" } } },
    lb = { count = 1, services = { haproxy = service }, on = hooks },
  },
}
