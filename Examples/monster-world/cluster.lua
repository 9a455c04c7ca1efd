-- Monster World, the seed deck's topology, on EC2 (AWS, Eucalyptus or any compatible endpoint):
-- one load balancer with an elastic IP, app servers (130 unless apps=N), two DB masters with
-- two 100 GB volumes each, four DB slaves with one 100 GB volume each, and the security groups
-- lb (80 and 443 from anywhere), app (8080 from lb) and db (3306 from app).
--
--   AWS_REGION=eu-west-1 recipe plan Examples/monster-world/cluster.lua
--   AWS_REGION=eu-west-1 recipe run Examples/monster-world/cluster.lua apps=140
--   recipe destroy monster-world --yes
--
-- Endpoint, region and keys come from the usual AWS_* variables or ~/.aws; region=, endpoint=
-- and image= arguments override them.

local image = arg.image or "ami-12c6146b"

cluster "monster-world" {
  provider = { kind = "ec2", region = arg.region, endpoint = arg.endpoint },
  firewall = {
    lb = { { port = 80, from = "0.0.0.0/0" }, { port = 443, from = "0.0.0.0/0" } },
    app = { { port = 8080, from = "lb" } },
    db = { { port = 3306, from = "app" } },
  },
  layers = {
    lb = { count = 1, instance_type = "c5.large", image = image, elastic_ip = true },
    app = { count = arg.apps or 130, instance_type = "c5.xlarge", image = image },
    db = {
      count = 2, instance_type = "r5.2xlarge", image = image,
      volumes = {
        data = { size_gb = 100, mount = "/var/lib/mysql" },
        binlog = { size_gb = 100, mount = "/var/log/mysql" },
      },
    },
    slave = {
      count = 4, instance_type = "r5.xlarge", image = image,
      volumes = { data = { size_gb = 100, mount = "/var/lib/mysql" } },
    },
  },
}
