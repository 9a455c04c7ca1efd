--- The heal cookbook, shipped with the tool and versioned with it.
cookbook "heal" {
  version = "1.0.0",
  description = "Self-healing: a failed instance of a layer declared with heal is replaced in its slot",
  license = "MIT",
  exports = { "heal" },
}
