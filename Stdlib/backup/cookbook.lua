--- The backup cookbook, shipped with the tool and versioned with it.
cookbook "backup" {
  version = "1.0.0",
  description = "Scheduled snapshots of a layer's volumes, the oldest beyond keep deleted",
  license = "MIT",
  exports = { "backup" },
}
