-- The shop: web servers that each keep a 1 GB data volume, behind an HAProxy load balancer
-- that holds the elastic IP and follows the web layer as instances join and leave.
--
--   recipe plan Examples/webapp/cluster.lua           -- what would change
--   recipe run Examples/webapp/cluster.lua            -- 3 web servers
--   recipe run Examples/webapp/cluster.lua web=5      -- 5

local haproxy = require "haproxy"
local app = recipe.dir .. "/app/server.py"

cluster "shop" {
  provider = "local",
  firewall = {
    lb = { { port = 8080, from = "0.0.0.0/0" } },
    web = { { port = 8000, from = "lb" } },
  },
  layers = {
    web = {
      count = arg.web or 3,
      volumes = { data = { size_gb = 1, mount = "/srv/data" } },
      services = { shop = { command = "python3 " .. app, port = 8000 } },
      on = {
        setup = function(e)
          local r = run(e.instance, "mkdir -p srv/data && test -w srv/data")
          if r.code ~= 0 then error("the data volume is not writable: " .. r.stderr) end
        end,
      },
    },
    lb = {
      count = 1,
      elastic_ip = true,
      services = { haproxy = haproxy.service { listen = 8080 } },
      on = { configure = haproxy.configure { listen = 8080, backend = "web", port = 8000 } },
    },
  },
  users = {
    alice = { role = "manage", ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly alice@example", sudo = true },
  },
  attributes = { site = "shop" },
}
