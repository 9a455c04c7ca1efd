-- HAProxy as a layer's load balancer.
--
--   local haproxy = require "haproxy"
--   lb = { count = 1, elastic_ip = true,
--          services = { haproxy = haproxy.service { listen = 8080 } },
--          on = haproxy.hooks { listen = 8080, backend = "web", port = 8000 } }
--
-- The service runs HAProxy in master-worker mode once a configuration exists. The hooks:
--   configure  (whenever instances join or leave) renders the configuration from the backend
--              layer's online instances and reloads HAProxy, which keeps its listening socket;
--   drain      (before a backend instance stops or restarts) stops sending it new requests and
--              waits, up to `drain_timeout` seconds (default 10), for those in flight;
--   ready      (once it answers its health check again) sends it requests again.
-- Drain and ready speak to HAProxy's runtime API on a local socket, through socat.

local haproxy = {}

local CONFIG = "/etc/haproxy/haproxy.cfg"
local PIDFILE = "run/haproxy.pid"
local SOCKET = "run/haproxy.sock"

local TEMPLATE = [[
# rendered by Stdlib/haproxy.lua for {{cluster}}: do not edit, configure overwrites it
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

frontend {{cluster}}-in
    bind {{bind}}
    default_backend {{backend}}

backend {{backend}}
    balance roundrobin
    option httpchk GET {{health}}
{{#servers}}
    server {{name}} {{address}}:{{port}} check inter 1s fall 2 rise 1
{{/servers}}
{{^servers}}
    http-request return status 503 content-type text/plain string "no {{backend}} instance is online"
{{/servers}}
]]

-- The service entry: waits for the first configuration, then becomes HAProxy (exec), so the
-- agent supervises HAProxy itself.
function haproxy.service(options)
  return {
    command = "while [ ! -f $ROOT" .. CONFIG .. " ]; do sleep 0.1; done; mkdir -p run; "
      .. "exec haproxy -W -db -f $ROOT" .. CONFIG .. " -p " .. PIDFILE,
    port = options.listen,
  }
end

-- The configure hook: every online instance of `backend` behind `listen` on this instance.
function haproxy.configure(options)
  assert(type(options) == "table" and options.listen and options.backend,
    "haproxy.configure{ listen = PORT, backend = LAYER [, port = PORT, health = PATH] }")
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
    local reloaded = run(e.instance, "test ! -f " .. PIDFILE .. " || kill -USR2 $(cat " .. PIDFILE .. ")")
    if reloaded.code ~= 0 then error("haproxy reload failed: " .. reloaded.stderr) end
    log.info("%s: haproxy on %s balances %d %s instances", e.cluster, e.instance.name, #servers, options.backend)
  end
end

-- Sends one command to the running HAProxy's runtime API (nothing to do before it runs).
local function runtime(balancer, command)
  local r = run(balancer, "test -S " .. SOCKET .. " || exit 0; echo '" .. command .. "' | socat -t 2 stdio unix-connect:" .. SOCKET)
  if r.code ~= 0 then error("haproxy runtime API: " .. command .. ": " .. r.stderr) end
  return r.stdout
end

-- BACKEND/SERVER for a drain or ready event about an instance of the backend layer.
local function backend_server(options, e)
  if e.target == nil or e.target.layer ~= options.backend then return nil end
  return options.backend .. "/" .. e.target.name
end

-- The drain hook: no new requests for the target; returns once it has none in flight (or at the timeout).
function haproxy.drain(options)
  assert(type(options) == "table" and options.backend, "haproxy.drain{ backend = LAYER [, drain_timeout = SECONDS] }")
  return function(e)
    local server = backend_server(options, e)
    if not server then return end
    runtime(e.instance, "set server " .. server .. " state drain")
    -- `show stat` is CSV: pxname, svname, qcur, qmax, scur (current sessions), ...
    local tries = math.floor((options.drain_timeout or 10) * 10)
    run(e.instance, "test -S " .. SOCKET .. " || exit 0; for i in $(seq " .. tries .. "); do "
      .. "n=$(echo 'show stat' | socat -t 2 stdio unix-connect:" .. SOCKET
      .. " | awk -F, '$1 == \"" .. options.backend .. "\" && $2 == \"" .. e.target.name .. "\" { print $5 }'); "
      .. "[ \"${n:-0}\" = 0 ] && exit 0; sleep 0.1; done")
  end
end

-- The ready hook: the target takes requests again (HAProxy's health check still has its say).
function haproxy.ready(options)
  assert(type(options) == "table" and options.backend, "haproxy.ready{ backend = LAYER }")
  return function(e)
    local server = backend_server(options, e)
    if server then runtime(e.instance, "set server " .. server .. " state ready") end
  end
end

-- All three hooks for a layer's `on`: configure, drain and ready.
function haproxy.hooks(options)
  return { configure = haproxy.configure(options), drain = haproxy.drain(options), ready = haproxy.ready(options) }
end

return haproxy
