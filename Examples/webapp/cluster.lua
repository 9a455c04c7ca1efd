-- The shop: web servers that each keep a 1 GB data volume, behind an HAProxy load balancer
-- that holds the elastic IP and follows the web layer as instances join and leave.
--
--   recipe plan Examples/webapp/cluster.lua           -- what would change
--   recipe run Examples/webapp/cluster.lua            -- 3 web servers
--   recipe run Examples/webapp/cluster.lua web=5      -- 5
--   recipe run Examples/webapp/cluster.lua source=git+https://example.org/shop.git ref=main
--   recipe deploy shop shop --ref v2                  -- rolling, behind the load balancer
--   recipe serve                                      -- heals the web layer (heal = true)

local haproxy = require "haproxy"

cluster "shop" {
  provider = "local",
  apps = {
    shop = { source = arg.source or ("file:" .. recipe.dir .. "/app"), ref = arg.ref or "main",
             start = "python3 server.py", port = 8000, health = "/health" },
  },
  firewall = {
    lb = { { port = 8080, from = "0.0.0.0/0" } },
    web = { { port = 8000, from = "lb" } },
  },
  layers = {
    web = {
      count = arg.web or 3,
      heal = true,
      volumes = { data = { size_gb = 1, mount = "/srv/data" } },
      apps = { "shop" },
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
      on = haproxy.hooks { listen = 8080, backend = "web", port = 8000 },
    },
  },
  users = {
    alice = { role = "manage", ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly alice@example", sudo = true },
  },
  attributes = { site = "shop" },
}
