-- The shop of cluster.lua on EC2 (or any EC2-compatible cloud): the same apps, layers and
-- hooks, run on each instance by its agent, which `recipe serve` hands commands to.
--
--   recipe serve --listen 0.0.0.0:7070 --tls-cert cert.pem --tls-key key.pem \
--                --advertise https://CONTROLLER:7070 &   -- the controller the agents call
--   recipe run Examples/webapp/ec2.lua subnet=subnet-0a1b2c3d image=ami-12c6146b
--   recipe deploy shop shop --ref v2                       -- rolling, behind the load balancer
--
-- The user data carries the certificate, so a self-signed one will do. `subnet` picks the VPC subnet (the instances' addresses, and the security groups' VPC);
-- without it they launch into the region's default VPC. Web agents beat every 2 s, so a dead
-- one is found after 6 s and replaced.

local haproxy = require "haproxy"

cluster "shop" {
  provider = { kind = "ec2", subnet = arg.subnet },
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
      image = arg.image or "ami-12c6146b",
      instance_type = "t3.small",
      heartbeat = "2s",
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
      image = arg.image or "ami-12c6146b",
      elastic_ip = true,
      services = { haproxy = haproxy.service { listen = 8080 } },
      on = haproxy.hooks { listen = 8080, backend = "web", port = 8000 },
    },
  },
  users = {
    alice = { role = "manage", ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDg+BnKurSNp+CGTkyZlh6akkf9km7MV1gSAmH5OE6/P alice@example", sudo = true },
  },
  attributes = { site = "shop" },
}
