--- The autoscale cookbook, shipped with the tool and versioned with it.
cookbook "autoscale" {
  version = "1.0.0",
  description = "A layer's count from a metric's thresholds and time windows",
  license = "MIT",
  exports = { "autoscale" },
}
