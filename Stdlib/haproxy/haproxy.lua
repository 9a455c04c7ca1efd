---
-- HAProxy as a layer's load balancer.
--
--   local haproxy = require "haproxy"
--   lb = { count = 1, elastic_ip = true,
--          services = { haproxy = haproxy.service { listen = 8080 } },
--          on = haproxy.hooks { listen = 8080, backend = "web", port = 8000 } }
--
-- The service runs HAProxy in master-worker mode once a configuration exists. The hooks:
-- `configure` (whenever instances join or leave) renders the configuration from the backend
-- layer's online instances and reloads HAProxy, which keeps its listening socket; `drain`
-- (before a backend instance stops or restarts) stops sending it new requests and waits, up to
-- `drain_timeout` seconds (default 10), for those in flight; `ready` (once it answers its health
-- check again) sends it requests again. Drain and ready speak to HAProxy's runtime API on a
-- local socket, through socat.
--
-- Every function takes the same options, each using those it needs: `listen` (the port HAProxy
-- listens on), `backend` (the layer it balances), `port` (the backend's port, 8000), `health`
-- (the path of its health check, /health) and `drain_timeout`.
-- @module haproxy

local haproxy = {}

local CONFIG = "/etc/haproxy/haproxy.cfg"
local PIDFILE = "run/haproxy.pid"
local SOCKET = "run/haproxy.sock"
-- the cookbook's own service control: recorded as command.internal, not as the user's commands
local INTERNAL = { internal = true }

local KNOWN = { listen = true, backend = true, port = true, health = true, drain_timeout = true }

-- Checks `options` for the function `name` needing the fields `needed`: an error at the line that
-- called the cookbook (level 3: past this function and the cookbook's own).
local function check(name, options, needed, usage)
  if type(options) ~= "table" then error("haproxy." .. name .. usage, 3) end
  for key in pairs(options) do
    if not KNOWN[key] then
      error("haproxy." .. name .. ": unknown option '" .. tostring(key)
        .. "' (known: backend, drain_timeout, health, listen, port)", 3)
    end
  end
  for _, key in ipairs(needed) do
    if options[key] == nil then error("haproxy." .. name .. ": " .. key .. " is required; " .. name .. usage, 3) end
  end
end

local TEMPLATE = [[
# rendered by Stdlib/haproxy for {{cluster}}: do not edit, configure overwrites it
global
    maxconn 4096
    stats socket unix@]] .. SOCKET .. [[ mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # a backend restarting in a rollout refuses or drops a request: try it on another one
    retries 3
    retry-on all-retryable-errors
    option redispatch
    # a busy machine may answer a check late: that is not a dead backend (a refused one fails at once)
    timeout check 2s

frontend {{cluster}}-in
    bind {{bind}}
    default_backend {{backend}}

backend {{backend}}
    balance roundrobin
    option httpchk GET {{health}}
{{#servers}}
    server {{name}} {{address}}:{{port}} check inter 1s fall 3 rise 1
{{/servers}}
{{^servers}}
    http-request return status 503 content-type text/plain string "no {{backend}} instance is online"
{{/servers}}
]]

---
-- The service entry for the balancer layer: it waits for the first configuration, then becomes
-- HAProxy (exec), so the agent supervises HAProxy itself.
-- @param options `{ listen = PORT }`
-- @return a service for the layer's `services`
-- @usage
-- services = { haproxy = haproxy.service { listen = 8080 } }
function haproxy.service(options)
  check("service", options, { "listen" }, "{ listen = PORT }")
  return {
    command = "while [ ! -f $ROOT" .. CONFIG .. " ]; do sleep 0.1; done; mkdir -p run; "
      .. "exec haproxy -W -db -f $ROOT" .. CONFIG .. " -p " .. PIDFILE,
    port = options.listen,
    -- asked through HAProxy: with no backend left it answers 503, and status says so
    health = options.health or "/health",
  }
end

-- The hooks themselves, built once the public functions below have checked their options.
local function configure_hook(options)
  return function(e)
    local servers = {}
    for _, i in ipairs(instance.list{ cluster = e.cluster, layer = options.backend }) do
      if i.state == "online" then
        servers[#servers + 1] = { name = i.name, address = i.private_ip, port = options.port or 8000 }
      end
    end
    table.sort(servers, function(a, b) return a.name < b.name end)
    write(e.instance, CONFIG, template(TEMPLATE, {
      cluster = e.cluster, backend = options.backend, servers = servers, health = options.health or "/health",
      bind = e.instance.private_ip .. ":" .. options.listen,
    }))
    -- reload the running master (the first configuration starts it instead)
    local reloaded = run(e.instance, "test ! -f " .. PIDFILE .. " || kill -USR2 $(cat " .. PIDFILE .. ")", INTERNAL)
    if reloaded.code ~= 0 then error("haproxy reload failed: " .. reloaded.stderr) end
    log.info("%s: haproxy on %s balances %d %s instances", e.cluster, e.instance.name, #servers, options.backend)
  end
end

---
-- The configure hook: every online instance of `backend` behind `listen` on this instance.
-- @param options `{ listen = PORT, backend = LAYER [, port = PORT, health = PATH] }`
-- @return the hook, for the balancer layer's `on.configure`
-- @usage
-- on = { configure = haproxy.configure { listen = 8080, backend = "web" } }
function haproxy.configure(options)
  check("configure", options, { "listen", "backend" }, "{ listen = PORT, backend = LAYER [, port = PORT, health = PATH] }")
  return configure_hook(options)
end

-- Sends one command to the running HAProxy's runtime API (nothing to do before it runs).
local function runtime(balancer, command)
  local r = run(balancer, "test -S " .. SOCKET .. " || exit 0; echo " .. shell.quote(command)
    .. " | socat -t 2 stdio unix-connect:" .. SOCKET, INTERNAL)
  if r.code ~= 0 then error("haproxy runtime API: " .. command .. ": " .. r.stderr) end
  return r.stdout
end

-- BACKEND/SERVER for a drain or ready event about an instance of the backend layer.
local function backend_server(options, e)
  if e.target == nil or e.target.layer ~= options.backend then return nil end
  return options.backend .. "/" .. e.target.name
end

local function drain_hook(options)
  return function(e)
    local server = backend_server(options, e)
    if not server then return end
    runtime(e.instance, "set server " .. server .. " state drain")
    -- `show stat` is CSV: pxname, svname, qcur, qmax, scur (current sessions), ...
    local tries = math.floor((options.drain_timeout or 10) * 10)
    run(e.instance, "test -S " .. SOCKET .. " || exit 0; for i in $(seq " .. tries .. "); do "
      .. "n=$(echo 'show stat' | socat -t 2 stdio unix-connect:" .. SOCKET
      .. " | awk -F, -v b=" .. shell.quote(options.backend) .. " -v s=" .. shell.quote(e.target.name)
      .. " '$1 == b && $2 == s { print $5 }'); "
      .. "[ \"${n:-0}\" = 0 ] && exit 0; sleep 0.1; done", INTERNAL)
  end
end

---
-- The drain hook: no new requests for the target; returns once it has none in flight (or at
-- `drain_timeout` seconds).
-- @param options `{ backend = LAYER [, drain_timeout = SECONDS] }`
-- @return the hook, for the balancer layer's `on.drain`
-- @usage
-- on = { drain = haproxy.drain { backend = "web", drain_timeout = 5 } }
function haproxy.drain(options)
  check("drain", options, { "backend" }, "{ backend = LAYER [, drain_timeout = SECONDS] }")
  return drain_hook(options)
end

local function ready_hook(options)
  return function(e)
    local server = backend_server(options, e)
    if server then runtime(e.instance, "set server " .. server .. " state ready") end
  end
end

---
-- The ready hook: the target takes requests again (HAProxy's health check still has its say).
-- @param options `{ backend = LAYER }`
-- @return the hook, for the balancer layer's `on.ready`
-- @usage
-- on = { ready = haproxy.ready { backend = "web" } }
function haproxy.ready(options)
  check("ready", options, { "backend" }, "{ backend = LAYER }")
  return ready_hook(options)
end

---
-- All three hooks for the balancer layer's `on`: configure, drain and ready.
-- @param options `{ listen = PORT, backend = LAYER [, port = PORT, health = PATH, drain_timeout = SECONDS] }`
-- @return `{ configure = fn, drain = fn, ready = fn }`
-- @usage
-- on = haproxy.hooks { listen = 8080, backend = "web", port = 8000 }
function haproxy.hooks(options)
  check("hooks", options, { "listen", "backend" },
    "{ listen = PORT, backend = LAYER [, port = PORT, health = PATH, drain_timeout = SECONDS] }")
  return { configure = configure_hook(options), drain = drain_hook(options), ready = ready_hook(options) }
end

return haproxy
