-- HAProxy as a layer's load balancer.
--
--   local haproxy = require "haproxy"
--   lb = { count = 1, elastic_ip = true,
--          services = { haproxy = haproxy.service { listen = 8080 } },
--          on = { configure = haproxy.configure { listen = 8080, backend = "web", port = 8000 } } }
--
-- The service runs HAProxy in master-worker mode once a configuration exists; configure (which
-- runs whenever instances join or leave) renders the configuration from the backend layer's
-- online instances and reloads HAProxy, which keeps its listening socket: no connection drops.

local haproxy = {}

local CONFIG = "/etc/haproxy/haproxy.cfg"
local PIDFILE = "run/haproxy.pid"

local TEMPLATE = [[
# rendered by Stdlib/haproxy.lua for {{cluster}}: do not edit, configure overwrites it
global
    maxconn 4096

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

return haproxy
