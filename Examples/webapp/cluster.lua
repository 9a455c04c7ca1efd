-- The shop: web servers that each keep a 1 GB data volume, and a load balancer that holds
-- the elastic IP (HAProxy joins it with the deploy issue).
--
--   recipe run Examples/webapp/cluster.lua            -- 3 web servers
--   recipe run Examples/webapp/cluster.lua web=5      -- 5

local app = recipe.dir .. "/app/server.py"

cluster "shop" {
  provider = "local",
  layers = {
    web = {
      count = arg.web or 3,
      volumes = { data = { size_gb = 1, mount = "/srv/data" } },
      services = { shop = { command = "python3 " .. app, port = 8000 } },
    },
    lb = {
      count = 1,
      elastic_ip = true,
    },
  },
}
