--- The haproxy cookbook, shipped with the tool and versioned with it.
cookbook "haproxy" {
  version = "1.0.0",
  description = "HAProxy as a layer's load balancer: its service, and configure, drain and ready hooks",
  license = "MIT",
  exports = { "haproxy" },
}
